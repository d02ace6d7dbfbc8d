"""Writing reports: atomically to files (temp file + rename), or to stdout for ``-``.

A run killed half-way leaves the previous file intact: the new content only replaces it by
``os.replace`` once it is completely on disk.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable
from typing import TextIO

from scanner.errors import ReportError

# What a report file is made of: its text or bytes, or a function that writes its text to a
# handle piece by piece (the JSON of a large fleet is never one string in memory).
Content = str | bytes | Callable[[TextIO], None]

# Every report file this process completed, in order: what a message on SIGTERM or Ctrl-C may
# truthfully say was written ("no report written" only when this is empty).
_WRITTEN: list[str] = []


def written() -> list[str]:
    return list(_WRITTEN)


def forget_written() -> None:
    _WRITTEN.clear()


def mark_written(paths: list[str]) -> None:
    _WRITTEN.extend(paths)


def write_atomic(path: str, text: Content, *, mode: int | None = None) -> None:
    """Write ``path`` whole or not at all; ``mode`` None: what any new file gets (the
    umask's), as cp, a shell redirection and kubectl give theirs."""
    try:
        _write_atomic(path, text, mode)
    except OSError as exc:
        raise ReportError(
            f"cannot write {path}: {exc.strerror or exc}; check the directory"
        ) from None
    _WRITTEN.append(path)


def _write_atomic(path: str, text: Content, mode: int | None) -> None:
    tmp = stage(path, text, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def stage(path: str, text: Content, mode: int | None = None) -> str:
    """A complete, synced temporary file beside ``path``, with the mode the real file gets;
    the caller renames it into place (or unlinks it). Any failure leaves nothing behind."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # The temporary name must not end like the real one: collectors that read every *.prom
    # file in a directory (node exporter) would otherwise read a half-written file.
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(text):
                # "replace": a last net for text that escaped unicode_safe where it entered.
                wrapper = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
                text(wrapper)
                wrapper.flush()
                os.fsync(handle.fileno())
                wrapper.detach()
            else:
                data = text.encode("utf-8", "replace") if isinstance(text, str) else text
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        # mkstemp creates 0600; the report gets the mode any new file gets (0666 less the
        # umask), as cp, a shell redirection and kubectl give theirs: reports name servers.
        os.chmod(tmp, 0o666 & ~current_umask() if mode is None else mode)
    except BaseException:
        # Interrupted or failed: the partial temp file goes, the previous report stays.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def current_umask() -> int:
    """The process umask, read without changing it where Linux shows it (``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore, at once
    os.umask(mask)
    return mask


def emit(path: str, text: Content) -> None:
    """Write to ``path``, or to stdout when ``path`` is ``-``."""
    if path == "-":
        if callable(text):
            text(sys.stdout)
        else:
            sys.stdout.write(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        sys.stdout.flush()
    else:
        write_atomic(path, text)
