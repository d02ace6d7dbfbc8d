"""Exit codes: the stable contract of SPEC section 3, in one place."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    READY = 0
    NOT_READY = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERNAL = 4
    ATTACH_FAILED = 5
