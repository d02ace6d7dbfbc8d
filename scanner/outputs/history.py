"""Runs over time in an output directory: the previous run, keeping the newest N runs, and a
lock so two scheduled runs never write the same directory at once. What changed between two
runs is :mod:`scanner.rules.changes`."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.errors import LockedError, ReportError
from scanner.evaluate import RunProgress
from scanner.model import ProgressPoint
from scanner.processes import alive
from scanner.report import Report
from scanner.serial import SerialError

log = logging.getLogger(__name__)

LOCK_NAME = ".upgrade-scanner.lock"
LATEST = "latest"  # latest.<ext>: the newest run, every format
# A lock written on another host (another pod on a shared volume) cannot be checked by pid;
# it is taken over once it is older than any scan can run.
FOREIGN_LOCK_MAX_AGE = 3600.0
RUN_FILE = re.compile(r"^readiness-(?P<target>.+)-(?P<stamp>\d{8}T\d{6}Z)\.(?P<ext>[a-z]+)$")


def stamp(generated_at: str) -> str:
    """A run's time as its file names carry it: ``2025-11-20T09:14:03Z`` -> ``20251120T091403Z``."""
    return datetime.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%dT%H%M%SZ")


def run_file(directory: str, target: str, generated_at: str, extension: str) -> str:
    """``DIR/readiness-<target>-<stamp>.<ext>``: one format of one run (:data:`RUN_FILE`)."""
    return os.path.join(directory, f"readiness-{target}-{stamp(generated_at)}.{extension}")


def latest_file(directory: str, extension: str) -> str:
    return os.path.join(directory, f"{LATEST}.{extension}")


def previous_report(directory: str) -> Report | None:
    """The run an output directory holds (``latest.json``), if any and if readable."""
    path = Path(latest_file(directory, "json"))
    if not path.is_file():
        return None
    try:
        return Report.from_json(path.read_text(encoding="utf-8"), where=str(path))
    except (OSError, UnicodeDecodeError, ReportError) as exc:
        log.warning("ignoring the previous report: %s", exc)
        return None


def prune(directory: str, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` runs (every format of a run goes together)."""
    runs: dict[str, list[Path]] = {}
    for path in _entries(directory):
        match = RUN_FILE.match(path.name)
        if match and path.is_file():
            runs.setdefault(match["stamp"], []).append(path)
    removed = []
    for stamp in sorted(runs, reverse=True)[keep:]:
        for path in runs[stamp]:
            path.unlink(missing_ok=True)
            removed.append(str(path))
    return removed


def _entries(directory: str) -> list[Path]:
    try:
        return list(Path(directory).iterdir())
    except OSError as exc:
        raise ReportError(f"--output-dir {directory}: cannot list it ({exc.strerror})") from None


@contextmanager
def output_lock(directory: str) -> Iterator[None]:
    """Hold ``DIR/.upgrade-scanner.lock`` for the run; a dead holder's lock is taken over."""
    path = os.path.join(directory, LOCK_NAME)
    try:
        os.makedirs(directory, exist_ok=True)
        _acquire(path)
    except OSError as exc:
        raise ReportError(
            f"--output-dir {directory}: cannot write there ({exc.strerror or exc}); "
            "pass a directory you can write to"
        ) from None
    try:
        yield
    finally:
        with suppress(OSError):
            os.unlink(path)


def _acquire(path: str) -> None:
    body = json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(), "started": _now(), "epoch": time.time()}
    ).encode()
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is not None and _held(holder):
                raise LockedError(
                    f"output directory {os.path.dirname(path)} is locked by pid "
                    f"{holder.get('pid')} on {holder.get('host', 'this host')} (started "
                    f"{holder.get('started', 'unknown')}): another scan is writing there; wait "
                    f"for it, or remove {path} if that process is gone"
                ) from None
            log.warning("taking over a stale lock %s (holder %s)", path, holder)
            with suppress(FileNotFoundError):
                os.unlink(path)
            time.sleep(0.01)
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        return
    raise LockedError(f"could not take the lock {path}; try again")


def _holder(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        int(data["pid"])
        return data if isinstance(data, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable: a crash while writing it; treat as stale


def _held(holder: dict[str, Any]) -> bool:
    """Is the process that wrote this lock still running?"""
    pid = int(holder["pid"])
    host = holder.get("host")
    if host is not None and host != socket.gethostname():
        age = time.time() - float(holder.get("epoch") or 0)
        return age < FOREIGN_LOCK_MAX_AGE
    # In a container every run has the same pid: our own pid in the lock is a dead run's.
    return pid != os.getpid() and alive(pid)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


PROGRESS_NAME = "roadmap-history.jsonl"  # one line per run: the roadmap's figures
PROGRESS_LINE_LIMIT = 4 << 20  # characters of one line (10,000 clusters' remaining steps)


def read_progress(directory: str, keep: int) -> list[RunProgress]:
    """The runs the output directory's ``roadmap-history.jsonl`` records, oldest first, the
    newest ``keep`` of them; a line that cannot be read is skipped (it only costs a point
    of the burn-down)."""
    path = os.path.join(directory, PROGRESS_NAME)
    found: list[RunProgress] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = [line for line in handle if len(line) <= PROGRESS_LINE_LIMIT][-keep:]
    except OSError:
        return []
    for line in lines:
        try:
            data = json.loads(line)
            point = ProgressPoint.from_dict(
                {k: v for k, v in data.items() if k != "remaining"}, "progress"
            )
            remaining = {str(k): int(v) for k, v in (data.get("remaining") or {}).items()}
        except (ValueError, TypeError, AttributeError, SerialError):
            continue
        found.append(RunProgress(point, remaining))
    return found


def progress_text(directory: str, report: Report, keep: int) -> str | None:
    """``roadmap-history.jsonl`` with this run's line added and the oldest lines beyond
    ``keep`` dropped; None when the report has no roadmap."""
    roadmap = report.roadmap
    if roadmap is None or not roadmap.history:
        return None
    line = {**roadmap.history[-1].to_dict(), "remaining": dict(roadmap.remaining)}
    earlier = [
        json.dumps({**run.point.to_dict(), "remaining": dict(run.remaining)})
        for run in read_progress(directory, keep)
    ]
    lines = [*earlier, json.dumps(line)][-keep:]
    return "".join(f"{text}\n" for text in lines)
