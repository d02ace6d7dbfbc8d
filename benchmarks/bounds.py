"""Bounds (issue 20): a scan of a global cluster that records 50,000 clusters with
``--no-platform-proxy`` (every one reported from its record), and a million deprecated-API
series folded as ``/metrics`` streams. The question: complete, and within time and memory."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import ProcessRun, run_measured

RECORDS_SECONDS_TARGET = 30.0
RECORDS_MIB_TARGET = 500.0


@dataclass(frozen=True)
class RecordsScan:
    records: int
    outputs: str  # "--json" or "--output-dir"
    run: ProcessRun
    in_report: int  # clusters in the JSON report (the records and the global cluster)

    @property
    def complete(self) -> bool:
        return self.run.exit_code in (0, 1, 3) and self.in_report == self.records + 1


def records_argv(kubeconfig: Path, out: Path, as_dir: bool) -> list[str]:
    where = ["--output-dir", str(out)] if as_dir else ["--json", str(out)]
    return [
        sys.executable, "-m", "scanner", "scan", "--target", "4.3", "--kubeconfig",
        str(kubeconfig), "--no-platform-proxy", "--timeout", "30", "--no-progress", "-q",
        *where,
    ]  # fmt: skip


def measure_records(kubeconfig: Path, records: int, workdir: Path) -> list[RecordsScan]:
    found = []
    for label, as_dir in (("--json", False), ("--output-dir", True)):
        out = workdir / f"records-{records}{'-dir' if as_dir else '.json'}"
        run = run_measured(records_argv(kubeconfig, out, as_dir), limit=300)
        report = out / "latest.json" if as_dir else out
        in_report = 0
        if report.exists():
            in_report = len(json.loads(report.read_text()).get("clusters", []))
        found.append(RecordsScan(records, label, run, in_report))
    return found


@dataclass(frozen=True)
class SeriesFold:
    series: int
    seconds: float
    peak_mib: float  # tracemalloc peak while streaming and folding
    kept: int
    dropped: int


def fold_series(series: int = 1_000_000) -> SeriesFold:
    """``series`` distinct deprecated-API series (each its own resource) streamed in 1 MB
    reads through the scanner's reader into its fold: the first resources are kept, the
    rest counted."""
    import tracemalloc

    from scanner.collect.plan import DEPRECATED_FAMILY, DeprecatedTally
    from scanner.kube.reader import read_lines

    line = (
        b'apiserver_requested_deprecated_apis{group="g%d.example",removed_release="1.32",'
        b'resource="things",subresource="",version="v1beta1"} 1\n'
    )

    class Stream:
        def __init__(self) -> None:
            self.next = 0

        def read1(self, size: int) -> bytes:
            if self.next >= series:
                return b""
            end = min(series, self.next + 8000)
            chunk = b"".join(line % i for i in range(self.next, end))
            self.next = end
            return chunk

        def release_conn(self) -> None:
            pass

        def close(self) -> None:
            pass

    def fold() -> DeprecatedTally:
        tally = DeprecatedTally()
        read_lines(Stream(), DEPRECATED_FAMILY, 1 << 31, time.monotonic() + 600, "/m", tally.add)
        return tally

    # Time without tracemalloc (it slows every allocation), memory in a second pass with it.
    started = time.perf_counter()
    tally = fold()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    fold()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return SeriesFold(series, seconds, peak / 2**20, len(tally.requests()), tally.dropped)


ROADMAP_SECONDS_TARGET = 1.0


@dataclass(frozen=True)
class RoadmapCompute:
    clusters: int
    seconds: float  # the best of three
    windows: int


def roadmap_compute(count: int = 10_000) -> RoadmapCompute:
    """The roadmap of ``count`` workload clusters (minors 1.24-1.34, waves 1-3 on a third,
    a plan blocker on every tenth) to 4.3 from 4.2, in-process: the evaluation's cost."""
    from scanner.evaluate.roadmap import RoadmapOptions, fleet_roadmap
    from scanner.inputs.policy import load_policy
    from scanner.model import PlanStep, Role, Severity, Status, UpgradePlan, finding
    from scanner.report import ClusterResult
    from scanner.rules.context import Current, scan_context
    from scanner.versions import parse_git_version, parse_platform_version

    policy = load_policy()
    target = policy.release("4.3")
    current = Current(policy.release("4.2"), None, "", parse_platform_version("4.2.3"))
    ctx = scan_context(policy, target, current, version=parse_platform_version("4.3"))
    clusters = []
    for i in range(count):
        minor = 24 + i % 11
        steps = tuple(
            PlanStep(
                f"1.{m}",
                (finding("path-skew", f"c{i}/1.{m}", Severity.BLOCKER, "x"),)
                if i % 10 == 0 and m == minor + 1
                else (),
            )
            for m in range(minor + 1, 32)
        )
        clusters.append(
            ClusterResult(
                context=f"c{i:05}",
                name=f"c{i:05}",
                role=Role.WORKLOAD,
                kind="ipi",
                provider="platform",
                server="",
                status=Status.BLOCKED if minor < 31 else Status.PASS,
                version=parse_git_version(f"v1.{minor}.3"),
                plan=UpgradePlan("1.31", steps) if steps else None,
                wave=1 + i % 3 if i % 3 == 0 else None,
            )
        )
    best = float("inf")
    windows = 0
    for _ in range(3):
        started = time.perf_counter()
        found = fleet_roadmap(ctx, clusters, (), None, RoadmapOptions(), "2026-01-01T00:00:00Z")
        best = min(best, time.perf_counter() - started)
        windows = found.total_windows if found else 0
    return RoadmapCompute(count, best, windows)
