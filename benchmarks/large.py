"""Scale benchmarks: 3,000 and 10,000-cluster scans and a 10,000-context ``contexts`` listing.

The question here is not speed per cluster (``scans`` answers it) but whether the scan
completes at that size, with every cluster in the report, and how much memory it needs.
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks.fleet import ServedFleet
from benchmarks.measure import ProcessRun, run_measured
from benchmarks.scans import ScanFigures, measure_scan

RSS_TARGET_MIB = 300.0  # a 10,000-cluster scan, peak resident memory


@dataclass(frozen=True)
class LargeScan:
    figures: ScanFigures
    in_report: int  # clusters present in the JSON report

    @property
    def complete(self) -> bool:
        return self.figures.ok and self.in_report == self.figures.count


def scan_limit(count: int) -> float:
    """Seconds before the scan child is killed: far above the expected 10 ms per cluster."""
    return max(180.0, 0.06 * count)


def measure_large_scan(fleet: ServedFleet, concurrency: int, workdir: Path) -> LargeScan:
    figures = measure_scan(fleet, concurrency, workdir, limit=scan_limit(fleet.count))
    in_report = 0
    if figures.report_text is not None:
        in_report = len(json.loads(figures.report_text).get("clusters", []))
    return LargeScan(figures, in_report)


@dataclass(frozen=True)
class ContextsListing:
    contexts: int
    run: ProcessRun
    lines: int  # lines printed on stdout


def write_many_contexts(path: Path, count: int) -> None:
    """A kubeconfig with ``count`` contexts, each with its own cluster and token user.

    Every cluster carries a CA blob of realistic size (about 1.5 KB), since that is what
    makes real kubeconfigs large. Nothing is contacted: ``contexts`` needs no network.
    """
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n" + b"A" * 1100).decode()
    names = [f"cluster-{i:05d}" for i in range(count)]
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": names[0],
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": f"https://127.0.0.{1 + i % 250}:{6443 + i // 250}",
                    "certificate-authority-data": ca,
                },
            }
            for i, name in enumerate(names)
        ],
        "users": [
            {"name": name, "user": {"token": f"token-{i:05d}"}} for i, name in enumerate(names)
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}} for name in names],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def measure_contexts(count: int, workdir: Path) -> ContextsListing:
    kubeconfig = workdir / f"contexts-{count}.kubeconfig"
    write_many_contexts(kubeconfig, count)
    out = workdir / f"contexts-{count}.out"
    argv = [sys.executable, "-m", "scanner", "contexts", "--kubeconfig", str(kubeconfig)]
    run = run_measured(argv, limit=scan_limit(count), stdout=out)
    lines = len(out.read_text(errors="replace").splitlines()) if out.exists() else 0
    return ContextsListing(count, run, lines)


@dataclass(frozen=True)
class ProxyRun:
    """One 1,000-cluster scan, direct (a context per cluster) or through the platform proxy
    (one global context; every cluster a platform record), with the server's counts."""

    mode: str  # "direct" or "platform proxy"
    figures: ScanFigures
    stats: dict[str, int]

    @property
    def handshakes(self) -> int:
        return self.stats.get("cluster_connections", 0) + self.stats.get("proxy_connections", 0)

    @property
    def requests(self) -> int:
        """Requests the scanner sent: through the proxy each is also counted by its cluster."""
        return self.stats.get("proxy_requests", 0) or self.stats.get("cluster_requests", 0)


def read_stats(path: Path) -> dict[str, int]:
    try:
        return {str(k): int(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True)
class PlanRun:
    """One scan of the same fleet with upgrade plans (the default) or ``--no-plan``."""

    mode: str
    figures: ScanFigures

    @property
    def must_move(self) -> int:
        if self.figures.report_text is None:
            return 0
        return int(json.loads(self.figures.report_text)["summary"].get("must_move", 0))


@dataclass(frozen=True)
class MetricsParse:
    size_mb: float
    seconds: float
    peak_mib: float  # tracemalloc peak while streaming and parsing (the body is never held)
    kept: int


def metrics_parse(size_mb: int = 20, series: int = 40) -> MetricsParse:
    """Stream a ``size_mb`` MB ``/metrics`` body in 1 MB reads through the scanner's reader
    and parser: the deprecated-API family (``series`` lines) sits in the middle."""
    import time
    import tracemalloc

    from scanner.collect.plan import DEPRECATED_FAMILY, parse_deprecated
    from scanner.kube.reader import LINE_CHUNK, read_lines

    line = (
        b'apiserver_request_duration_seconds_bucket{component="apiserver",group="",'
        b'resource="pods",scope="namespace",verb="LIST",version="v1",le="0.5"} 1234\n'
    )
    family = b"".join(
        b'apiserver_requested_deprecated_apis{group="g%d",removed_release="1.25",'
        b'resource="r",subresource="",version="v1beta1"} 1\n' % i
        for i in range(series)
    )
    total = size_mb * 1_000_000

    class Stream:
        def __init__(self) -> None:
            self.sent = 0
            self.middle = False

        def read1(self, size: int) -> bytes:
            if self.sent >= total:
                return b""
            if not self.middle and self.sent >= total // 2:
                self.middle = True
                self.sent += len(family)
                return family
            # Whole lines per read, so the family starts on a line of its own.
            chunk = line * max(1, min(size, total - self.sent) // len(line))
            self.sent += len(chunk)
            return chunk

        def release_conn(self) -> None:
            pass

        def close(self) -> None:
            pass

    tracemalloc.start()
    started = time.perf_counter()
    lines = read_lines(Stream(), DEPRECATED_FAMILY, 256 << 20, time.monotonic() + 60, "/metrics")
    found = parse_deprecated(lines)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert LINE_CHUNK > 0
    return MetricsParse(size_mb, seconds, peak / 2**20, len(found))
