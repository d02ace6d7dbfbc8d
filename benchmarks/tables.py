"""The figures as tables: the same GitHub-style tables go to stdout and docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tabulate import tabulate

from benchmarks.bounds import (
    RECORDS_MIB_TARGET,
    RECORDS_SECONDS_TARGET,
    ROADMAP_SECONDS_TARGET,
    RecordsScan,
    RoadmapCompute,
    SeriesFold,
)
from benchmarks.large import (
    RSS_TARGET_MIB,
    ContextsListing,
    LargeScan,
    MetricsParse,
    PlanRun,
    ProxyRun,
)
from benchmarks.reference import Pair, XargsKubectl
from benchmarks.scans import ScanFigures
from benchmarks.tools import KubectlLoop

SCAN_TARGET = 10.0  # seconds for 1,000 clusters
KUBECTL_RATIO_TARGET = 20.0
XARGS_RATIO_TARGET = 10.0  # per cluster, vs xargs -P 32 kubectl
MINIMAL_WALL_TARGET = 1.5  # the scan's wall time over the minimal client's, 1,000 clusters
MINIMAL_CPU_TARGET = 2.0
LARGE_SCAN_TARGET = (3000, 15.0)  # clusters, seconds
PROXY_HANDSHAKES_BEFORE = 148  # through the platform proxy, 1,000 clusters, before issue 22
STARTUP_TARGET = 0.3
RENDER_TARGET = 1.0


@dataclass
class Results:
    default_concurrency: int
    scans: list[ScanFigures] = field(default_factory=list)
    client_build: dict[int, float] = field(default_factory=dict)  # clusters -> seconds
    render_total: dict[int, float] = field(default_factory=dict)  # clusters -> seconds
    kubectl: list[KubectlLoop] = field(default_factory=list)
    startup: dict[str, float] = field(default_factory=dict)  # option -> seconds
    render_large: dict[str, dict[str, float]] = field(default_factory=dict)  # source -> format
    slow_imports: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    large: list[LargeScan] = field(default_factory=list)
    contexts: list[ContextsListing] = field(default_factory=list)
    proxy: list[ProxyRun] = field(default_factory=list)
    plans: list[PlanRun] = field(default_factory=list)
    metrics: MetricsParse | None = None
    records: list[RecordsScan] = field(default_factory=list)
    series: SeriesFold | None = None
    roadmap: RoadmapCompute | None = None
    pairs: list[Pair] = field(default_factory=list)
    xargs: list[XargsKubectl] = field(default_factory=list)

    def pair(self, count: int) -> Pair | None:
        return next((p for p in self.pairs if p.count == count and p.scans and p.minimal), None)

    def scan(self, count: int, concurrency: int | None = None) -> ScanFigures | None:
        wanted = concurrency or self.default_concurrency
        for figures in self.scans:
            if figures.count == count and figures.concurrency == wanted and figures.ok:
                return figures
        return None

    def fastest(self, count: int) -> ScanFigures | None:
        """The quickest run among those with the fewest unknown clusters: a concurrency that
        starves the process turns answers into timeouts, which is not faster scanning."""
        runs = [s for s in self.scans if s.count == count and s.ok]
        fewest = min((s.unknown for s in runs), default=0)
        honest = [s for s in runs if s.unknown == fewest]
        return min(honest, key=lambda s: s.run.wall, default=None)


def _s(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    return tabulate(rows, headers=list(headers), tablefmt="github", disable_numparse=True)


def scan_table(results: Results) -> str:
    headers = [
        "clusters",
        "concurrency",
        "wall s",
        "CPU s (user+sys)",
        "peak RSS MiB",
        "load s",
        "collect s",
        "evaluate s",
        "client build s",
        "render all s",
        "ms / cluster",
        "unknown",
        "fleet server CPU s",
    ]
    rows = []
    for s in results.scans:
        default = s.concurrency == results.default_concurrency
        failed = "" if s.ok else f" (no report, exit {s.run.exit_code})"
        rows.append(
            [
                s.count,
                s.concurrency,
                _s(s.run.wall) + failed,
                _s(s.run.cpu),
                _s(s.run.max_rss_mib, 0),
                _s(s.stages.get("load")),
                _s(s.stages.get("collect")),
                _s(s.stages.get("evaluate"), 3),
                _s(results.client_build.get(s.count) if default else None),
                _s(results.render_total.get(s.count) if default else None),
                _s(1000 * s.run.wall / s.count, 1),
                s.unknown if s.ok else "-",
                _s(s.fleet_cpu),
            ]
        )
    return _table(headers, rows)


def large_table(results: Results) -> str:
    headers = [
        "clusters",
        "wall s",
        "CPU s (user+sys)",
        "peak RSS MiB",
        "exit",
        "clusters in report",
        "unknown",
        "complete",
        "ms / cluster",
        "fleet server CPU s",
    ]
    rows = []
    for large in results.large:
        s = large.figures
        rows.append(
            [
                s.count,
                _s(s.run.wall),
                _s(s.run.cpu),
                _s(s.run.max_rss_mib, 0),
                f"{s.run.exit_code}{' (killed)' if s.run.killed else ''}",
                large.in_report,
                s.unknown if s.ok else "-",
                "yes" if large.complete else "**no**",
                _s(1000 * s.run.wall / s.count, 1),
                _s(s.fleet_cpu),
            ]
        )
    return _table(headers, rows)


def proxy_table(results: Results) -> str:
    headers = [
        "mode",
        "clusters in report",
        "wall s",
        "CPU s (user+sys)",
        "peak RSS MiB",
        "unknown",
        "TLS handshakes (server)",
        "requests (server)",
        "fleet server CPU s",
    ]
    rows = []
    for run in results.proxy:
        s = run.figures
        in_report = len(s.report().clusters) if s.ok else 0
        rows.append(
            [
                run.mode,
                in_report,
                _s(s.run.wall),
                _s(s.run.cpu),
                _s(s.run.max_rss_mib, 0),
                s.unknown if s.ok else "-",
                run.handshakes or "-",
                run.requests or "-",
                _s(s.fleet_cpu),
            ]
        )
    return _table(headers, rows)


PLAN_OVERHEAD_TARGET = 0.25
METRICS_SECONDS_TARGET = 0.5
METRICS_MIB_TARGET = 50.0


def plans_table(results: Results) -> str:
    headers = ["mode", "clusters with a plan", "wall s", "CPU s (user+sys)", "peak RSS MiB",
               "unknown"]  # fmt: skip
    rows = [
        [
            run.mode,
            run.must_move,
            _s(run.figures.run.wall),
            _s(run.figures.run.cpu),
            _s(run.figures.run.max_rss_mib, 0),
            run.figures.unknown if run.figures.ok else "-",
        ]
        for run in results.plans
    ]
    text = _table(headers, rows)
    if results.metrics is not None:
        m = results.metrics
        text += (
            f"\n\n`/metrics` of {m.size_mb} MB streamed in 1 MB reads and parsed: "
            f"{m.seconds:.3f} s, {m.peak_mib:.1f} MiB peak (tracemalloc), {m.kept} series kept."
        )
    return text


def plan_overhead(results: Results) -> float | None:
    modes = {run.mode: run.figures for run in results.plans if run.figures.ok}
    if "plans" not in modes or "--no-plan" not in modes:
        return None
    return modes["plans"].run.wall / modes["--no-plan"].run.wall - 1


def contexts_table(results: Results) -> str:
    rows = [
        [
            c.contexts,
            _s(c.run.wall),
            _s(c.run.cpu),
            _s(c.run.max_rss_mib, 0),
            c.run.exit_code,
            c.lines,
        ]
        for c in results.contexts
    ]
    headers = ["contexts", "wall s", "CPU s", "peak RSS MiB", "exit", "lines printed"]
    return _table(headers, rows)


def kubectl_table(results: Results, small: int, large: int) -> str:
    fastest = results.fastest(large)
    candidates = [results.scan(small), results.scan(large)]
    if fastest is not None and fastest.concurrency != results.default_concurrency:
        candidates.append(fastest)
    measured = [
        (f"scan of {scan.count}, concurrency {scan.concurrency}", scan)
        for scan in candidates
        if scan is not None
    ]
    rows: list[list[object]] = []
    others: list[tuple[str, float]] = []
    for loop in results.kubectl:
        failed = f", {loop.failures} failed" if loop.failures else ""
        label = f"{loop.label}: `kubectl version`, {loop.contexts} contexts in turn{failed}"
        others.append((label, loop.ms_per_cluster))
    for run in results.xargs:
        failed = f", exit {run.run.exit_code}" if run.run.exit_code else ""
        label = (
            f"`xargs -P 32 {run.label} version`, {run.contexts} contexts, "
            f"{_s(run.run.cpu)} s CPU{failed}"
        )
        others.append((label, run.ms_per_cluster))
    for label, ms in others:
        rows.append(
            [label, _s(ms, 1), *(f"{_s(ms / _ms_per_cluster(scan), 1)}x" for _, scan in measured)]
        )
    for label, scan in measured:
        rows.append(
            [f"upgrade-scanner {label}", _s(_ms_per_cluster(scan), 1), *[""] * len(measured)]
        )
    headers = ["run", "ms / cluster", *(f"scanner faster ({label})" for label, _ in measured)]
    return _table(headers, rows)


def _ms_per_cluster(scan: ScanFigures) -> float:
    return 1000 * scan.run.wall / scan.count


def kubectl_ratio(results: Results, loop: KubectlLoop, count: int) -> float | None:
    scan = results.scan(count)
    return None if scan is None else loop.ms_per_cluster / _ms_per_cluster(scan)


def reference_table(results: Results) -> str:
    headers = [
        "clusters",
        "concurrency",
        "rounds",
        "scan wall s",
        "minimal wall s",
        "wall ratio",
        "scan CPU s",
        "minimal CPU s",
        "CPU ratio",
        "scan RSS MiB",
        "minimal RSS MiB",
        "answered (scan / minimal)",
    ]
    rows = []
    for p in results.pairs:
        answered = f"{_first(p.scan_answered)} / {_first(p.minimal_answered)}"
        rows.append(
            [
                p.count,
                p.concurrency,
                f"{len(p.scans)} / {len(p.minimal)}",
                _s(p.scan_median("wall")),
                _s(p.minimal_median("wall")),
                _x(p.ratio("wall")),
                _s(p.scan_median("cpu")),
                _s(p.minimal_median("cpu")),
                _x(p.ratio("cpu")),
                _s(p.scan_median("max_rss_mib"), 0),
                _s(p.minimal_median("max_rss_mib"), 0),
                answered,
            ]
        )
    return _table(headers, rows)


def _first(values: list[int]) -> str:
    """One count, or the range when the rounds differ."""
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _reference_rows(results: Results, large: int) -> list[list[str]]:
    rows: list[list[str]] = []
    pair = results.pair(large)
    for what, goal in (("wall", MINIMAL_WALL_TARGET), ("cpu", MINIMAL_CPU_TARGET)):
        ratio = pair.ratio(what) if pair else None
        measured = "-"
        if pair is not None:
            measured = (
                f"{_x(ratio)} ({_s(pair.scan_median(what))} s vs {_s(pair.minimal_median(what))} s)"
            )
        rows.append(
            [
                f"scan {large} clusters ({'wall' if what == 'wall' else 'CPU'}) vs the minimal "
                "client, same reads, same run",
                f"≤ {goal:g}x",
                measured,
                _met(ratio, goal),
            ]
        )
    scan = results.scan(large)
    for run in results.xargs:
        ratio = run.ms_per_cluster / _ms_per_cluster(scan) if scan else None
        rows.append(
            [
                f"per cluster vs `xargs -P 32 {run.label}` ({large}-cluster scan)",
                f"≥ {XARGS_RATIO_TARGET:g}x faster",
                f"{_s(ratio, 1)}x",
                _met(ratio, XARGS_RATIO_TARGET, at_least=True),
            ]
        )
    count, seconds = LARGE_SCAN_TARGET
    for big in results.large:
        if big.figures.count == count:
            wall = big.figures.run.wall if big.complete else None
            rows.append(
                [f"scan {count} clusters", f"< {seconds:g} s", f"{_s(wall)} s", _met(wall, seconds)]
            )
    for proxied in results.proxy:
        if proxied.mode == "platform proxy":
            rows.append(
                [
                    f"TLS handshakes through the platform proxy ({proxied.figures.count} clusters)",
                    f"≤ {PROXY_HANDSHAKES_BEFORE} (before this round)",
                    str(proxied.handshakes),
                    _met(proxied.handshakes, PROXY_HANDSHAKES_BEFORE),
                ]
            )
    return rows


def startup_table(results: Results, runs: int) -> str:
    rows = [[f"upgrade-scanner {option}", _s(s, 3)] for option, s in results.startup.items()]
    return _table(["command", f"median wall s ({runs} runs)"], rows)


def render_table(results: Results) -> str:
    sources = list(results.render_large)
    formats = sorted({name for per in results.render_large.values() for name in per})
    rows: list[list[object]] = [
        [name, *(_s(results.render_large[src].get(name), 3) for src in sources)] for name in formats
    ]
    rows.append(["**total**", *(_s(sum(results.render_large[src].values()), 3) for src in sources)])
    return _table(["format", *(f"{src} s" for src in sources)], rows)


def imports_table(results: Results) -> str:
    rows = [[name, _s(1000 * s, 1)] for name, s in results.slow_imports]
    return _table(["module (python -X importtime -m scanner --help)", "cumulative ms"], rows)


def _met(value: float | None, target: float, *, at_least: bool = False) -> str:
    if value is None:
        return "not measured"
    return "yes" if (value >= target if at_least else value <= target) else "**no**"


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
            _s(default.run.wall if default else None) + " s",
            _met(default.run.wall if default else None, SCAN_TARGET),
        ],
        [
            f"scan {large} clusters, fastest concurrency tried (fewest unknown)",
            f"≤ {SCAN_TARGET:g} s",
            f"{_s(fastest.run.wall)} s at {fastest.concurrency}" if fastest else "-",
            _met(fastest.run.wall if fastest else None, SCAN_TARGET),
        ],
    ]
    rows += _reference_rows(results, large)
    for loop in results.kubectl:
        ratio = kubectl_ratio(results, loop, small)
        rows.append(
            [
                f"per cluster vs a loop of {loop.label} ({small}-cluster scan)",
                f"≥ {KUBECTL_RATIO_TARGET:g}x faster",
                f"{_s(ratio, 1)}x",
                _met(ratio, KUBECTL_RATIO_TARGET, at_least=True),
            ]
        )
    for option, seconds in results.startup.items():
        target = f"≤ {STARTUP_TARGET:g} s"
        rows.append([f"start-up {option}", target, f"{_s(seconds, 3)} s", _met(seconds, 0.3)])
    rows.append(
        [
            f"render every format, {large} clusters",
            f"≤ {RENDER_TARGET:g} s",
            f"{_s(render_total, 3)} s",
            _met(render_total, RENDER_TARGET),
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
                f"{big.in_report} clusters, {_s(rss, 0)} MiB",
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
                _met(overhead, PLAN_OVERHEAD_TARGET),
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
                f"{run.in_report} clusters, {_s(run.run.wall)} s, {_s(run.run.max_rss_mib, 0)} MiB",
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
                _met(r.seconds, ROADMAP_SECONDS_TARGET),
            ]
        )
    rows.append([f"wall({large}) / wall({small}), concurrency {c}", "-", _s(scaling), "-"])
    return _table(["target", "goal", "measured", "met"], rows)


def bounds_table(results: Results) -> str:
    rows = [
        [
            f"{r.records} records, {r.outputs}",
            _s(r.run.wall),
            _s(r.run.cpu),
            _s(r.run.max_rss_mib, 0),
            r.run.exit_code,
            r.in_report,
            "yes" if r.complete else "**no**",
        ]
        for r in results.records
    ]
    if results.series is not None:
        f = results.series
        rows.append(
            [
                f"{f.series} series folded ({f.kept} kept, {f.dropped} counted)",
                f"{f.seconds:.2f}",
                "-",
                f"{f.peak_mib:.1f} (tracemalloc)",
                "-",
                "-",
                "yes",
            ]
        )
    headers = ["run", "wall s", "cpu s", "peak MiB", "exit", "clusters in report", "complete"]
    return _table(headers, rows)
