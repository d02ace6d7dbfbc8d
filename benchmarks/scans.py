"""Scan benchmarks: the real CLI as a child process, then client build and rendering in-process."""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.fleet import ServedFleet
from benchmarks.measure import ProcessRun, median_of, run_measured, timed
from scanner.inputs.selection import Selection, select
from scanner.kube.client import ClientFactory
from scanner.render import RENDERERS, RenderOptions
from scanner.report import Report

TIMEOUT = 2.0
SCAN_LIMIT = 180.0  # seconds before a scan child is killed (it should never get near this)


@dataclass(frozen=True)
class ScanFigures:
    count: int
    concurrency: int
    run: ProcessRun
    stages: dict[str, float] = field(default_factory=dict)  # load, collect, evaluate
    statuses: dict[str, int] = field(default_factory=dict)
    fleet_cpu: float | None = None  # the server process's CPU seconds during the scan
    report_text: str | None = None

    @property
    def ok(self) -> bool:
        return self.report_text is not None

    @property
    def unknown(self) -> int:
        return self.statuses.get("unknown", 0)

    def report(self) -> Report:
        assert self.report_text is not None
        return Report.from_json(self.report_text, where=f"scan of {self.count}")


def scan_argv(
    kubeconfig: Path, concurrency: int, json_out: Path, extra: tuple[str, ...] = ()
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scanner",
        "scan",
        "--target",
        "4.3",
        "--from",
        "4.2",
        "--kubeconfig",
        str(kubeconfig),
        "--timeout",
        f"{TIMEOUT:g}",
        "--retries",
        "0",
        "--concurrency",
        str(concurrency),
        "--json",
        str(json_out),
        "--no-progress",
        "-q",
        *extra,
    ]


def measure_scan(
    fleet: ServedFleet,
    concurrency: int,
    workdir: Path,
    *,
    limit: float = SCAN_LIMIT,
    extra: tuple[str, ...] = (),
) -> ScanFigures:
    json_out = workdir / f"scan-{fleet.count}-c{concurrency}.json"
    json_out.unlink(missing_ok=True)
    cpu_before = fleet.cpu_seconds()
    run = run_measured(
        scan_argv(fleet.kubeconfig, concurrency, json_out, extra),
        limit=limit,
        stdout=workdir / f"scan-{fleet.count}-c{concurrency}.out",
    )
    cpu_after = fleet.cpu_seconds()
    fleet_cpu = None
    if cpu_before is not None and cpu_after is not None:
        fleet_cpu = cpu_after - cpu_before
    if not json_out.exists():
        return ScanFigures(fleet.count, concurrency, run, fleet_cpu=fleet_cpu)
    text = json_out.read_text()
    document: dict[str, Any] = json.loads(text)
    stages = document.get("metadata", {}).get("stages_seconds", {})
    summary = document.get("summary", {})
    return ScanFigures(
        count=fleet.count,
        concurrency=concurrency,
        run=run,
        stages={str(k): float(v) for k, v in stages.items()},
        statuses={str(k): int(v) for k, v in summary.items() if k != "total"},
        fleet_cpu=fleet_cpu,
        report_text=text,
    )


def client_build_seconds(kubeconfig: Path) -> float:
    """Load the kubeconfig, select targets and build every endpoint (credential, TLS context:
    one per CA), then close the factory. aiohttp is imported first: its import is start-up."""
    import aiohttp  # noqa: F401

    def build_all() -> None:
        targets = select(Selection(kubeconfigs=(str(kubeconfig),)))
        with ClientFactory(TIMEOUT) as factory:
            for target in targets:
                factory.build(target)

    return timed(build_all)


def render_seconds(report: Report, runs: int) -> dict[str, float]:
    """Median seconds per format in RENDERERS (templates are compiled on the first run)."""
    options = RenderOptions()
    return {
        name: median_of(functools.partial(renderer, report, options), runs)
        for name, renderer in RENDERERS.items()
    }


def warm_up_renderers(report: Report) -> float:
    """First render of every format: imports (jinja2, tabulate) and template compilation."""
    options = RenderOptions()
    return timed(lambda: [renderer(report, options) for renderer in RENDERERS.values()])


def large_dataset_report(count: int) -> Report | None:
    """The renderer tests' canonical dataset scaled to ``count`` clusters, if importable."""
    try:
        from tests.render.dataset import large_report
    except ImportError:
        return None
    return large_report(count)
