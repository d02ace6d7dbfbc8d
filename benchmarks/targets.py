"""The targets table: each goal of the issues beside what this run measured."""

from __future__ import annotations

from benchmarks.bounds import (
    RECORDS_MIB_TARGET,
    RECORDS_SECONDS_TARGET,
    ROADMAP_SECONDS_TARGET,
)
from benchmarks.large import RSS_TARGET_MIB
from benchmarks.tables import (
    Results,
    kubectl_ratio,
    ms_per_cluster,
    num,
    plan_overhead,
    table,
    times,
)

SCAN_TARGET = 10.0  # seconds for 1,000 clusters
KUBECTL_RATIO_TARGET = 20.0
XARGS_RATIO_TARGET = 10.0  # per cluster, vs xargs -P 32 kubectl
MINIMAL_WALL_TARGET = 1.5  # the scan's wall time over the minimal client's, 1,000 clusters
MINIMAL_CPU_TARGET = 2.0
LARGE_SCAN_TARGET = (3000, 15.0)  # clusters, seconds
PROXY_HANDSHAKES_BEFORE = 148  # through the platform proxy, 1,000 clusters, before issue 22
STARTUP_TARGET = 0.3
RENDER_TARGET = 1.0
PLAN_OVERHEAD_TARGET = 0.25
METRICS_SECONDS_TARGET = 0.5
METRICS_MIB_TARGET = 50.0


def met(value: float | None, target: float, *, at_least: bool = False) -> str:
    if value is None:
        return "not measured"
    return "yes" if (value >= target if at_least else value <= target) else "**no**"


def reference_rows(results: Results, large: int) -> list[list[str]]:
    rows: list[list[str]] = []
    pair = results.pair(large)
    for what, goal in (("wall", MINIMAL_WALL_TARGET), ("cpu", MINIMAL_CPU_TARGET)):
        ratio = pair.ratio(what) if pair else None
        measured = "-"
        if pair is not None:
            ours, theirs = num(pair.scan_median(what)), num(pair.minimal_median(what))
            measured = f"{times(ratio)} ({ours} s vs {theirs} s)"
        rows.append(
            [
                f"scan {large} clusters ({'wall' if what == 'wall' else 'CPU'}) vs the minimal "
                "client, same reads, same run",
                f"≤ {goal:g}x",
                measured,
                met(ratio, goal),
            ]
        )
    scan = results.scan(large)
    for run in results.xargs:
        ratio = run.ms_per_cluster / ms_per_cluster(scan) if scan else None
        rows.append(
            [
                f"per cluster vs `xargs -P 32 {run.label}` ({large}-cluster scan)",
                f"≥ {XARGS_RATIO_TARGET:g}x faster",
                f"{num(ratio, 1)}x",
                met(ratio, XARGS_RATIO_TARGET, at_least=True),
            ]
        )
    count, seconds = LARGE_SCAN_TARGET
    for big in results.large:
        if big.figures.count == count:
            wall = big.figures.run.wall if big.complete else None
            rows.append(
                [f"scan {count} clusters", f"< {seconds:g} s", f"{num(wall)} s", met(wall, seconds)]
            )
    for proxied in results.proxy:
        if proxied.mode == "platform proxy":
            rows.append(
                [
                    f"TLS handshakes through the platform proxy ({proxied.figures.count} clusters)",
                    f"≤ {PROXY_HANDSHAKES_BEFORE} (before this round)",
                    str(proxied.handshakes),
                    met(proxied.handshakes, PROXY_HANDSHAKES_BEFORE),
                ]
            )
    return rows


def targets_table(results: Results, large: int, small: int) -> str:
    default = results.scan(large)
    fastest = results.fastest(large)
    small_scan = results.scan(small)
    render = results.render_large.get(f"scan report ({large})")
    render_total = sum(render.values()) if render else None
    scaling = default.run.wall / small_scan.run.wall if default and small_scan else None
    c = results.default_concurrency
    rows = [
        [
            f"scan {large} clusters, concurrency {c}",
            f"≤ {SCAN_TARGET:g} s",
            num(default.run.wall if default else None) + " s",
            met(default.run.wall if default else None, SCAN_TARGET),
        ],
        [
            f"scan {large} clusters, fastest concurrency tried (fewest unknown)",
            f"≤ {SCAN_TARGET:g} s",
            f"{num(fastest.run.wall)} s at {fastest.concurrency}" if fastest else "-",
            met(fastest.run.wall if fastest else None, SCAN_TARGET),
        ],
    ]
    rows += reference_rows(results, large)
    for loop in results.kubectl:
        ratio = kubectl_ratio(results, loop, small)
        rows.append(
            [
                f"per cluster vs a loop of {loop.label} ({small}-cluster scan)",
                f"≥ {KUBECTL_RATIO_TARGET:g}x faster",
                f"{num(ratio, 1)}x",
                met(ratio, KUBECTL_RATIO_TARGET, at_least=True),
            ]
        )
    for option, seconds in results.startup.items():
        target = f"≤ {STARTUP_TARGET:g} s"
        rows.append([f"start-up {option}", target, f"{num(seconds, 3)} s", met(seconds, 0.3)])
    rows.append(
        [
            f"render every format, {large} clusters",
            f"≤ {RENDER_TARGET:g} s",
            f"{num(render_total, 3)} s",
            met(render_total, RENDER_TARGET),
        ]
    )
    for big in results.large:
        if big.figures.count < 10000:
            continue
        rss = big.figures.run.max_rss_mib
        rows.append(
            [
                f"scan {big.figures.count} clusters: complete, peak RSS",
                f"every cluster in the report, < {RSS_TARGET_MIB:g} MB",
                f"{big.in_report} clusters, {num(rss, 0)} MiB",
                "yes" if big.complete and rss * 1.048576 < RSS_TARGET_MIB else "**no**",
            ]
        )
    overhead = plan_overhead(results)
    if results.plans:
        rows.append(
            [
                "upgrade plans: extra wall time (a third of the fleet must move)",
                f"≤ {PLAN_OVERHEAD_TARGET:.0%}",
                "-" if overhead is None else f"{overhead:+.0%}",
                met(overhead, PLAN_OVERHEAD_TARGET),
            ]
        )
    if results.metrics is not None:
        m = results.metrics
        ok = m.seconds < METRICS_SECONDS_TARGET and m.peak_mib < METRICS_MIB_TARGET
        rows.append(
            [
                f"parse a {m.size_mb} MB /metrics",
                f"< {METRICS_SECONDS_TARGET:g} s, < {METRICS_MIB_TARGET:g} MB",
                f"{m.seconds:.3f} s, {m.peak_mib:.1f} MiB",
                "yes" if ok else "**no**",
            ]
        )
    for run in results.records:
        ok = (
            run.complete
            and run.run.wall <= RECORDS_SECONDS_TARGET
            and run.run.max_rss_mib * 1.048576 < RECORDS_MIB_TARGET
        )
        rows.append(
            [
                f"{run.records} platform records, --no-platform-proxy, {run.outputs}",
                f"complete, ≤ {RECORDS_SECONDS_TARGET:g} s, < {RECORDS_MIB_TARGET:g} MB",
                f"{run.in_report} clusters, {num(run.run.wall)} s, "
                f"{num(run.run.max_rss_mib, 0)} MiB",
                "yes" if ok else "**no**",
            ]
        )
    if results.series is not None:
        fold = results.series
        rows.append(
            [
                f"fold {fold.series} deprecated-API series",
                "bounded memory",
                f"{fold.seconds:.1f} s, {fold.peak_mib:.1f} MiB, {fold.kept} kept",
                "yes" if fold.peak_mib < 50 else "**no**",
            ]
        )
    if results.roadmap is not None:
        r = results.roadmap
        rows.append(
            [
                f"roadmap of {r.clusters} clusters",
                f"< {ROADMAP_SECONDS_TARGET:g} s",
                f"{r.seconds:.3f} s ({r.windows} windows)",
                met(r.seconds, ROADMAP_SECONDS_TARGET),
            ]
        )
    rows.append([f"wall({large}) / wall({small}), concurrency {c}", "-", num(scaling), "-"])
    return table(["target", "goal", "measured", "met"], rows)
