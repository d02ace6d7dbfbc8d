"""One run's files in an output directory, or none: every format is staged first (complete,
synced, under temporary names), then the run's history files and the ``latest.*`` set are
switched together with SIGTERM and SIGINT held back, and any failure on the way restores the
previous ``latest.*`` set and removes what the run had put in place. A full disk or a signal
never leaves ``latest.json`` of one run beside ``latest.html`` of another, nor half a run in
the history."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from scanner.errors import ReportError
from scanner.outputs.files import Content, mark_written, stage
from scanner.outputs.history import latest_file, run_file

log = logging.getLogger(__name__)

HELD = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def publish_run(
    directory: str,
    target: str,
    generated_at: str,
    contents: Mapping[str, Content],
    state: Mapping[str, Content] | None = None,
) -> list[str]:
    """Write ``contents`` (extension -> text) as one run: ``readiness-<target>-<stamp>.<ext>``
    and ``latest.<ext>`` for every extension, and ``state`` (file name -> text: the
    roadmap's history), all or none. Returns the run's files."""
    runs = {ext: run_file(directory, target, generated_at, ext) for ext in contents}
    kept = {os.path.join(directory, name): text for name, text in (state or {}).items()}
    staged: dict[str, str] = {}
    try:
        for ext, text in contents.items():
            staged[ext] = stage(runs[ext], text)
        for path, text in kept.items():
            staged[path] = stage(path, text)
    except BaseException as exc:
        _remove(staged.values())
        if isinstance(exc, OSError):
            raise ReportError(
                f"cannot write {directory}: {exc.strerror or exc}; nothing of this run was "
                "written and the previous reports are untouched"
            ) from None
        raise
    with _signals_held():
        _switch(directory, runs, staged, list(kept))
        mark_written(list(runs.values()))  # before a held signal acts: it was written
    return list(runs.values())


def _switch(
    directory: str, runs: Mapping[str, str], staged: Mapping[str, str], state: list[str]
) -> None:
    """Hard-link each staged file as the run's history file, then rename it over
    ``latest.<ext>`` (and the state files over theirs); on any failure, put every previous
    ``latest.*`` and state file back."""
    backups: dict[str, str] = {}  # latest.<ext> -> its copy, for the ones that existed
    placed: list[str] = []  # the run's history files, and the latest.* it created
    targets = {latest_file(directory, ext): staged[ext] for ext in runs}
    targets.update({path: staged[path] for path in state})
    try:
        for latest in targets:
            if os.path.exists(latest):
                backups[latest] = os.path.join(directory, f".{os.path.basename(latest)}.previous")
                _link_or_copy(latest, backups[latest])
        for ext, run in runs.items():
            _link_or_copy(staged[ext], run)
            placed.append(run)
        for latest, source in targets.items():
            os.replace(source, latest)
            if latest not in backups:
                placed.append(latest)
    except OSError as exc:
        for latest, backup in backups.items():
            with contextlib.suppress(OSError):
                if os.path.samefile(backup, latest):  # never replaced: rename() would no-op
                    os.unlink(backup)
                else:
                    os.replace(backup, latest)
        _remove([*placed, *staged.values()])
        raise ReportError(
            f"cannot write {directory}: {exc.strerror or exc}; the previous reports are untouched"
        ) from None
    _remove(backups.values())


def _link_or_copy(source: str, target: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(target)
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        with open(source, "rb") as handle:
            data = handle.read()
        tmp = stage(target, data, os.stat(source).st_mode & 0o777)
        os.replace(tmp, target)


def _remove(paths: Iterable[str]) -> None:
    for path in list(paths):
        with contextlib.suppress(OSError):
            os.unlink(path)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM, SIGINT and SIGHUP wait until the switch is done, then act as ever. Their
    Python handlers are swapped for ones that only note the signal: a process signal may be
    delivered to any thread (a read left on a hung cluster is one), but Python runs its
    handlers in the main thread, so this holds whichever thread the kernel chose."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def note(signum: int, frame: object) -> None:
        pending.append(signum)

    previous: dict[int, Any] = {int(held): signal.signal(held, note) for held in HELD}
    try:
        yield
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler)
        if pending:
            _act(pending[0], previous[pending[0]])


def _act(signum: int, handler: Any) -> None:
    """What the signal would have done had it not waited."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)  # the default action, now that it is restored
