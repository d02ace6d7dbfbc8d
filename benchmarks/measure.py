"""Timing helpers: a child process measured with os.wait4, and medians of in-process calls."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Children never see a proxy: every request of a benchmark must stay on 127.0.0.1.
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def child_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}


@dataclass(frozen=True)
class ProcessRun:
    """What one child process cost: wall clock, its own CPU time and its peak RSS."""

    wall: float
    user: float
    system: float
    max_rss_mib: float
    exit_code: int
    killed: bool  # ran past its time limit and was killed
    stderr_tail: str

    @property
    def cpu(self) -> float:
        return self.user + self.system


def run_measured(argv: Sequence[str], *, limit: float, stdout: Path | None = None) -> ProcessRun:
    """Run ``argv`` from the repository root and reap it with ``os.wait4``.

    ``wait4`` gives this child's own CPU time, unlike ``RUSAGE_CHILDREN``, which also counts
    every other child reaped so far. Its ``ru_maxrss`` is not used: Linux carries the
    parent's peak across fork and exec, so a child of a benchmark process that has grown
    (after parsing a 10,000-cluster report, say) reported the parent's size. The peak is
    ``VmHWM`` of the child's own address space instead, sampled every 10 ms until it exits.
    """
    err_path = Path(os.devnull) if stdout is None else stdout.with_suffix(".stderr")
    out_target = stdout if stdout is not None else Path(os.devnull)
    with open(out_target, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=REPO_ROOT, env=child_environment(), stdout=out, stderr=err
        )
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(limit, kill)
        timer.start()
        peak = _PeakRss(proc.pid)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            peak.stop()
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
    tail = ""
    if stdout is not None:
        tail = err_path.read_text(errors="replace").strip()[-300:]
    return ProcessRun(
        wall=wall,
        user=usage.ru_utime,
        system=usage.ru_stime,
        max_rss_mib=(peak.kib or usage.ru_maxrss) / 1024,  # kilobytes on Linux
        exit_code=proc.returncode,
        killed=killed.is_set(),
        stderr_tail=tail,
    )


def median_wall(argv: Sequence[str], runs: int, limit: float = 30.0) -> float:
    return statistics.median(run_measured(argv, limit=limit).wall for _ in range(runs))


def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def median_of(func: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(func) for _ in range(runs))


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a running process (Linux /proc), for the fleet server's share."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    # Fields after the ")": state is index 0, so utime (14th field) and stime (15th) are 11, 12.
    return (int(fields[11]) + int(fields[12])) / ticks


class _PeakRss:
    """The highest ``VmHWM`` (peak resident set of the process's own memory) seen in
    ``/proc/<pid>/status`` while the process runs."""

    def __init__(self, pid: int) -> None:
        self.kib = 0
        self._path = f"/proc/{pid}/status"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            self._sample()
            self._done.wait(0.01)

    def _sample(self) -> None:
        try:
            with open(self._path) as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        self.kib = max(self.kib, int(line.split()[1]))
                        return
        except (OSError, ValueError):
            return

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=1)
