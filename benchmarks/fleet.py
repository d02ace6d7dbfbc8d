"""Serve a synthetic simfleet in its own process, so it never shares the scanner's GIL."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import REPO_ROOT, child_environment, process_cpu_seconds
from simfleet.fleets import synthetic
from simfleet.spec import Failure

READY_WAIT = 120.0  # seconds for every listener of a large fleet to come up


class FleetError(Exception):
    """The simulated fleet did not start."""


@dataclass(frozen=True)
class ServedFleet:
    count: int
    kubeconfig: Path
    pid: int
    startup_seconds: float
    hanging: tuple[str, ...]  # contexts that accept TLS and never answer
    refused: tuple[str, ...]
    healthy: tuple[str, ...]

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self.pid)

    @property
    def note(self) -> str:
        """What the fleet was, for the benchmark page's notes."""
        return (
            f"fleet of {self.count}: {len(self.hanging)} hang after TLS, {len(self.refused)} "
            f"refused; server ready in {self.startup_seconds:.1f} s"
        )


@contextlib.contextmanager
def serve_synthetic(
    count: int,
    workdir: Path,
    lifetime: float,
    *,
    platform_proxy: bool = False,
    stats_file: Path | None = None,
    records: int = 0,
) -> Iterator[ServedFleet]:
    """``python -m simfleet serve --fleet synthetic --count N --shared-ca`` until the block ends.

    The server stops by itself after ``lifetime`` seconds; it is also terminated on exit.
    With ``platform_proxy`` a global cluster records every cluster and the kubeconfig holds
    only its context, through the platform proxy. With ``records`` only a global cluster
    is served, recording that many clusters nobody serves. ``stats_file`` gets the server's counts
    of connections and requests when it stops (after the block).
    """
    tag = f"{count}{'-proxy' if platform_proxy else ''}{f'-records{records}' if records else ''}"
    kubeconfig = workdir / f"fleet-{tag}.kubeconfig"
    ready = workdir / f"fleet-{tag}.ready"
    log = workdir / f"fleet-{tag}.log"
    ready.unlink(missing_ok=True)
    argv = [
        sys.executable,
        "-m",
        "simfleet",
        "serve",
        "--fleet",
        "synthetic",
        "--count",
        str(count),
        "--kubeconfig",
        str(kubeconfig),
        "--lifetime",
        f"{lifetime:g}",
        "--ready-file",
        str(ready),
        "--shared-ca",
        *(["--platform-proxy"] if platform_proxy else []),
        *(["--records", str(records)] if records else []),
        *(["--stats-file", str(stats_file)] if stats_file else []),
    ]
    started = time.perf_counter()
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=child_environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(proc, ready, log)
        specs = synthetic(count)  # the server's fleet: same function, same default seed
        yield ServedFleet(
            count=count,
            kubeconfig=kubeconfig,
            pid=proc.pid,
            startup_seconds=time.perf_counter() - started,
            hanging=tuple(s.name for s in specs if s.failure is Failure.HANG),
            refused=tuple(s.name for s in specs if s.failure is Failure.REFUSED),
            healthy=tuple(s.name for s in specs if s.failure is None),
        )
    finally:
        proc.terminate()  # SIGTERM: the server writes its stats file and stops
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], ready: Path, log: Path) -> None:
    deadline = time.monotonic() + READY_WAIT
    while not ready.exists():
        if proc.poll() is not None:
            raise FleetError(f"simfleet exited with {proc.returncode}: {_tail(log)}")
        if time.monotonic() > deadline:
            raise FleetError(f"simfleet not ready after {READY_WAIT:g}s: {_tail(log)}")
        time.sleep(0.05)
    # The ready file is written atomically once every listener is up.
    json.loads(ready.read_text())


def _tail(path: Path) -> str:
    return path.read_text(errors="replace").strip()[-300:]
