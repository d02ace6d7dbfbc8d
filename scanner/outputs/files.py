"""Writing reports: atomically to files (temp file + rename), or to stdout for ``-``.

A run killed half-way leaves the previous file intact: the new content only replaces it by
``os.replace`` once it is completely on disk.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from scanner.errors import ReportError


def write_atomic(path: str, text: str | bytes, *, mode: int | None = None) -> None:
    """Write ``path`` whole or not at all; ``mode`` None: what any new file gets (the
    umask's), as cp, a shell redirection and kubectl give theirs."""
    try:
        _write_atomic(path, text, mode)
    except OSError as exc:
        raise ReportError(
            f"cannot write {path}: {exc.strerror or exc}; check the directory"
        ) from None


def _write_atomic(path: str, text: str | bytes, mode: int | None) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # The temporary name must not end like the real one: collectors that read every *.prom
    # file in a directory (node exporter) would otherwise read a half-written file.
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; the report gets the mode any new file gets (0666 less the
        # umask), as cp, a shell redirection and kubectl give theirs: reports name servers.
        os.chmod(tmp, 0o666 & ~current_umask() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        # Interrupted or failed: the partial temp file goes, the previous report stays.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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


def emit(path: str, text: str) -> None:
    """Write to ``path``, or to stdout when ``path`` is ``-``."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(path, text)
