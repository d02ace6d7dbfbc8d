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


def write_atomic(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}; check the directory") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        # Interrupted or failed: the partial temp file goes, the previous report stays.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def emit(path: str, text: str) -> None:
    """Write to ``path``, or to stdout when ``path`` is ``-``."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            write_atomic(path, text)
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror}") from None
