"""python -m benchmarks (make bench): print the figures and write docs/benchmarks.md.

Figures, never asserts. Every server is a simfleet child process on 127.0.0.1 with a hard
lifetime, also terminated when its block ends.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import bounds, large, reference, scans, tables, targets, tools
from benchmarks.fleet import FleetError, ServedFleet, serve_synthetic
from benchmarks.measure import REPO_ROOT
from benchmarks.tables import Results
from scanner import defaults


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--counts", type=_ints, default=[100, 300, 1000], help="fleet sizes")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=defaults.CONCURRENCY,
        help=f"the scanner's default ({defaults.CONCURRENCY})",
    )
    parser.add_argument(
        "--extra-concurrency",
        type=_ints,
        default=[128, 512],
        help="also tried on the largest fleet",
    )
    parser.add_argument(
        "--minimal-rounds",
        type=int,
        default=5,
        help="interleaved rounds of scan and minimal client per fleet of --counts (0: skip)",
    )
    parser.add_argument(
        "--xargs-contexts",
        type=int,
        default=320,
        help="answering contexts of the largest fleet for xargs -P 32 kubectl (0: skip)",
    )
    parser.add_argument(
        "--large-counts",
        type=_ints,
        default=[3000, 10000],
        help="fleet sizes scanned once each for completeness, CPU and memory",
    )
    parser.add_argument(
        "--contexts-count", type=int, default=10000, help="contexts in the `contexts` listing"
    )
    parser.add_argument(
        "--proxy-count",
        type=int,
        default=1000,
        help="clusters scanned direct and through the platform proxy (0: skip)",
    )
    parser.add_argument(
        "--plan-count",
        type=int,
        default=1000,
        help="clusters scanned with and without upgrade plans (0: skip)",
    )
    parser.add_argument(
        "--records",
        type=int,
        default=50000,
        help="platform records scanned with --no-platform-proxy (0: skip)",
    )
    parser.add_argument(
        "--series", type=int, default=1000000, help="deprecated-API series folded (0: skip)"
    )
    parser.add_argument(
        "--roadmap-count", type=int, default=10000, help="clusters in the roadmap (0: skip)"
    )
    parser.add_argument("--kubectl-sample", type=int, default=20, help="contexts for kubectl")
    parser.add_argument("--runs", type=int, default=3, help="renders per format (median)")
    parser.add_argument("--startup-runs", type=int, default=5, help="runs per start-up figure")
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md", help="markdown file"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser


def run_scans(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    largest, smallest = max(args.counts), min(args.counts)
    for count in args.counts:
        extra = [c for c in args.extra_concurrency if c != args.concurrency]
        concurrencies = [args.concurrency, *(extra if count == largest else [])]
        # Long enough for every scan here; the server stops by itself after it.
        lifetime = 60 + 45 * len(concurrencies) + 20 * args.minimal_rounds
        _progress(f"fleet of {count}: scans at concurrency {concurrencies}")
        try:
            with serve_synthetic(count, workdir, lifetime) as fleet:
                results.notes.append(fleet.note)
                if count == smallest:
                    # Unmeasured: the first scan pays for cold file caches and .pyc files.
                    scans.measure_scan(fleet, args.concurrency, workdir)
                for concurrency in concurrencies:
                    results.scans.append(scans.measure_scan(fleet, concurrency, workdir))
                results.client_build[count] = scans.client_build_seconds(fleet.kubeconfig)
                if args.minimal_rounds:
                    _progress(f"fleet of {count}: scan vs the minimal client")
                    pair = reference.measure_pair(
                        fleet, args.concurrency, args.minimal_rounds, workdir
                    )
                    results.pairs.append(pair)
                if count == largest and args.xargs_contexts:
                    run_xargs(args, results, fleet, workdir)
                if count == smallest:
                    sample = fleet.healthy[: args.kubectl_sample]
                    _progress(f"kubectl loop over {len(sample)} contexts")
                    for label, kubectl in tools.kubectl_binaries():
                        loop = tools.kubectl_loop(label, kubectl, fleet.kubeconfig, sample)
                        results.kubectl.append(loop)
        except FleetError as exc:
            results.notes.append(f"fleet of {count} not measured: {exc}")


def run_xargs(
    args: argparse.Namespace, results: Results, fleet: ServedFleet, workdir: Path
) -> None:
    sample = list(fleet.healthy[: args.xargs_contexts])
    for label, kubectl in tools.kubectl_binaries()[-1:]:  # the one without a dispatcher
        _progress(f"xargs -P {reference.XARGS_PARALLEL} {label} over {len(sample)} contexts")
        results.xargs.append(
            reference.xargs_kubectl(label, kubectl, fleet.kubeconfig, sample, workdir)
        )


def run_large(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    for count in args.large_counts:
        _progress(f"fleet of {count}: one scan at concurrency {args.concurrency}")
        lifetime = 120 + 3 * large.scan_limit(count)
        try:
            with serve_synthetic(count, workdir, lifetime) as fleet:
                results.notes.append(fleet.note)
                results.large.append(large.measure_large_scan(fleet, args.concurrency, workdir))
                if args.minimal_rounds:
                    _progress(f"fleet of {count}: scan vs the minimal client, one round")
                    pair = reference.measure_pair(fleet, args.concurrency, 1, workdir)
                    results.pairs.append(pair)
        except FleetError as exc:
            results.notes.append(f"fleet of {count} not measured: {exc}")
    if args.contexts_count:
        _progress(f"contexts listing of {args.contexts_count} contexts")
        results.contexts.append(large.measure_contexts(args.contexts_count, workdir))


def run_proxy(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    count = args.proxy_count
    for mode, through in (("direct", False), ("platform proxy", True)):
        _progress(f"fleet of {count}, {mode}: one scan at concurrency {args.concurrency}")
        stats = workdir / f"stats-{count}-{through}.json"
        try:
            with serve_synthetic(
                count, workdir, 240, platform_proxy=through, stats_file=stats
            ) as fleet:
                figures = scans.measure_scan(fleet, args.concurrency, workdir)
        except FleetError as exc:
            results.notes.append(f"{mode} fleet of {count} not measured: {exc}")
            continue
        results.proxy.append(large.ProxyRun(mode, figures, large.read_stats(stats)))


def run_plans(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    count = args.plan_count
    _progress(f"fleet of {count}: scans with and without upgrade plans")
    try:
        with serve_synthetic(count, workdir, 400) as fleet:
            # Alternate the two modes so neither always runs on a colder machine.
            for mode, extra in (
                ("--no-plan", ("--no-plan",)),
                ("plans", ()),
                ("--no-plan", ("--no-plan",)),
                ("plans", ()),
            ):
                figures = scans.measure_scan(fleet, args.concurrency, workdir, extra=extra)
                results.plans.append(large.PlanRun(mode, figures))
    except FleetError as exc:
        results.notes.append(f"plan fleet of {count} not measured: {exc}")
    results.plans = _fastest_per_mode(results.plans)
    results.metrics = large.metrics_parse()


def run_bounds(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    if args.records:
        _progress(f"{args.records} platform records, --no-platform-proxy")
        try:
            with serve_synthetic(0, workdir, 900, records=args.records) as fleet:
                results.records = bounds.measure_records(fleet.kubeconfig, args.records, workdir)
        except FleetError as exc:
            results.notes.append(f"{args.records} records not measured: {exc}")
    if args.series:
        _progress(f"{args.series} deprecated-API series folded")
        results.series = bounds.fold_series(args.series)
    if args.roadmap_count:
        _progress(f"roadmap of {args.roadmap_count} clusters")
        results.roadmap = bounds.roadmap_compute(args.roadmap_count)


def _fastest_per_mode(runs: list[large.PlanRun]) -> list[large.PlanRun]:
    best: dict[str, large.PlanRun] = {}
    for run in runs:
        if run.figures.ok and (
            run.mode not in best or run.figures.run.wall < best[run.mode].figures.run.wall
        ):
            best[run.mode] = run
    return list(best.values())


def run_rendering(args: argparse.Namespace, results: Results) -> None:
    reports = {
        count: scan.report() for count in args.counts if (scan := results.scan(count)) is not None
    }
    if reports:
        first = reports[min(reports)]
        cold = scans.warm_up_renderers(first)
        results.notes.append(
            f"first render of every format ({len(first.clusters)} clusters, includes importing "
            f"jinja2/tabulate and compiling templates): {cold:.3f} s"
        )
    for count, report in reports.items():
        results.render_total[count] = sum(scans.render_seconds(report, args.runs).values())
    largest = max(args.counts)
    if largest in reports:
        results.render_large[f"scan report ({largest})"] = scans.render_seconds(
            reports[largest], args.runs
        )
    dataset = scans.large_dataset_report(largest)
    if dataset is not None:
        results.render_large[f"tests dataset large_report({largest})"] = scans.render_seconds(
            dataset, args.runs
        )


def run_startup(args: argparse.Namespace, results: Results) -> None:
    for option in ("--help", "--version"):
        results.startup[option] = tools.startup_seconds(option, args.startup_runs)
    if any(s > targets.STARTUP_TARGET for s in results.startup.values()):
        results.slow_imports = tools.slowest_imports(15)


def document(
    args: argparse.Namespace, results: Results, machine: dict[str, str], elapsed: float
) -> str:
    large, small = max(args.counts), min(args.counts)
    python = os.path.relpath(sys.executable, REPO_ROOT)
    command = " ".join([python, "-m", "benchmarks", *sys.argv[1:]])
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench`; figures, not assertions. Re-run it to refresh this page.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        *(f"- {key}: {value}" for key, value in machine.items()),
        f"- command: `{command}` (from the repository root; took {elapsed:.0f} s)",
        "",
        "## Targets",
        "",
        targets.targets_table(results, large, small),
        "",
        "## The scanner vs the minimal client (same reads, same fleet, same run)",
        "",
        tables.reference_table(results),
        "",
        f"## Scans of the synthetic fleet (`--timeout {scans.TIMEOUT:g} --retries 0`)",
        "",
        tables.scan_table(results),
        "",
        f"## Large fleets (one scan each, concurrency {args.concurrency})",
        "",
        tables.large_table(results),
        "",
        f"## {args.proxy_count} clusters: direct vs through the platform proxy",
        "",
        tables.proxy_table(results),
        "",
        f"## Upgrade plans: {args.plan_count} clusters with and without `--no-plan`",
        "",
        tables.plans_table(results),
        "",
        f"## Bounds: {args.records} platform records, {args.series} deprecated-API series",
        "",
        tables.bounds_table(results),
        "",
        "## `upgrade-scanner contexts` on a large kubeconfig",
        "",
        tables.contexts_table(results),
        "",
        "## Per cluster: upgrade-scanner vs a kubectl loop",
        "",
        tables.kubectl_table(results, small, large),
        "",
        "## Start-up",
        "",
        tables.startup_table(results, args.startup_runs),
        "",
    ]
    if results.slow_imports:
        parts += ["### Slowest imports at start-up", "", tables.imports_table(results), ""]
    parts += [
        f"## Rendering a {large}-cluster report (median of {args.runs} per format)",
        "",
        tables.render_table(results),
        "",
        "## How it is measured",
        "",
        *(f"- {line}" for line in _method(args)),
        *(f"- {note}" for note in results.notes),
        "",
    ]
    return "\n".join(parts)


def _method(args: argparse.Namespace) -> list[str]:
    return [
        "Fleet: `python -m simfleet serve --fleet synthetic --count N --shared-ca` in its own "
        "process (not sharing the scanner's GIL) on 127.0.0.1: latency 20-300 ms per "
        "response, 2% accept TLS and never answer, 1% refuse connections, seed 0.",
        "Scan: `python -m scanner scan --target 4.3 --from 4.2 --kubeconfig F --timeout 2 "
        "--retries 0 --concurrency C --json OUT --no-progress -q` as a child process; wall "
        "clock, CPU (user+sys) and peak RSS of that child from `os.wait4`. load/collect/"
        "evaluate come from the report's `metadata.stages_seconds`.",
        "Client build (in-process, aiohttp already imported): load the kubeconfig, select "
        "the targets, `ClientFactory(2).build()` each endpoint (credential, one SSLContext "
        "per CA), close the factory. Render all: every format "
        f"in `RENDERERS`, in-process, sum of the per-format medians of {args.runs}.",
        "Minimal client: `python -m benchmarks.minimal F --concurrency C --timeout 2` "
        "(benchmarks/minimal.py: asyncio streams, one TLS connection per cluster carrying "
        "GET /version and GET /api/v1/nodes?limit=500, one SSLContext per CA, inline CA and "
        "token only, no retries, caps or report) against `scan ... --no-plan --no-discovery` "
        "(exactly those two reads) at the same concurrency on the same fleet, "
        f"{args.minimal_rounds} rounds per fleet of `--counts` (one on the large fleets), "
        "alternating which goes first; medians of wall, CPU and peak RSS of each child.",
        f"xargs: `xargs -P 32 -I{{}} kubectl --context {{}} version -o json "
        f"--request-timeout=2s` over the first {args.xargs_contexts} answering contexts of the "
        "largest fleet, one xargs child measured with `os.wait4` (its CPU includes every "
        "kubectl it reaped).",
        "Fleet server CPU: the simfleet process's user+sys CPU during the scan (/proc); with "
        "few cores, scanner and server compete for them.",
        f"kubectl: `kubectl --kubeconfig F --context X version -o json --request-timeout=2s` "
        f"for the first {args.kubectl_sample} answering contexts of the smallest fleet, one "
        "after the other. It fetches /version only; the scan also lists nodes.",
        "Large fleets: the same scan command, once per size, with a time limit of "
        "max(180 s, 60 ms per cluster); complete means exit 0/1/3 with every cluster of the "
        "fleet in the JSON report.",
        "Contexts: `python -m scanner contexts --kubeconfig F` on a generated kubeconfig with "
        f"{args.contexts_count} contexts (a cluster with a 1.5 KB CA blob and a token user "
        "each); nothing is contacted.",
        "Proxy: the same synthetic fleet, direct (a kubeconfig context per cluster) and "
        "through the platform proxy (`simfleet serve --platform-proxy`: a global cluster "
        "records every cluster, the kubeconfig holds only its context, each cluster is "
        "scanned at `<proxy>/kubernetes/<name>`). Handshakes and requests are counted by "
        "the server (every accepted TLS connection, every request), over the whole scan "
        "including discovery.",
        "Plans: the synthetic fleet's versions are spread over 1.29-1.34, so about a third "
        "(1.29 and 1.30) must move to the 4.3 window and are asked /metrics (64 KB of other "
        "families around the deprecated-API family), /apis and their disruption budgets; "
        "each mode ran twice, alternating, and the faster run of each is shown.",
        f"Records: `simfleet serve --records {args.records}` serves one global cluster whose "
        "platform records that many clusters (none of them served); the scan is `scan "
        "--target 4.3 --no-platform-proxy -q` with `--json F`, then with `--output-dir D` "
        "(every format; no PDF past 2,000 clusters), so each record is reported from its "
        "record. Series: that many distinct deprecated-API series streamed in about 1 MB "
        "reads through the scanner's reader into its fold (in-process, tracemalloc peak).",
        f"Roadmap: {args.roadmap_count} workload clusters (minors 1.24-1.34, waves on a third, "
        "a plan blocker on every tenth) planned from 4.2 to 4.3 in-process "
        "(`fleet_roadmap`, the evaluation's cost), best of three.",
        f"Start-up: median wall of {args.startup_runs} runs of the console script.",
        "Children run without proxy variables (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY).",
    ]


def _progress(message: str) -> None:
    print(f"benchmarks: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    results = Results(default_concurrency=args.concurrency)
    machine = tools.machine()
    with tempfile.TemporaryDirectory(prefix="upgrade-scanner-bench-") as tmp:
        run_scans(args, results, Path(tmp))
        run_large(args, results, Path(tmp))
        if args.proxy_count:
            run_proxy(args, results, Path(tmp))
        if args.plan_count:
            run_plans(args, results, Path(tmp))
        run_bounds(args, results, Path(tmp))
    _progress("rendering")
    run_rendering(args, results)
    _progress("start-up")
    run_startup(args, results)
    text = document(args, results, machine, time.perf_counter() - started)
    print(text)
    if not args.no_write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        _progress(f"wrote {os.path.relpath(args.output, REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
