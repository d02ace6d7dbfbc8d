"""Durations as people type them on a command line: ``90m``, ``24h``, ``7d``, ``2w``."""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d{1,6})([smhdw])")


def parse_duration(text: str) -> dt.timedelta:
    """``24h`` -> 24 hours. A bare number, a fraction, zero or another unit is a ValueError
    whose message says what is accepted."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is not None and int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is zero: a duration must be longer than that (e.g. 24h)")
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration: write a whole number and a unit, "
            "s, m, h, d or w (e.g. 24h, 7d)"
        )
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def duration_text(delta: dt.timedelta) -> str:
    """``7 days``, ``36 hours``, ``90 minutes``: the largest unit that divides it exactly."""
    seconds = int(delta.total_seconds())
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
