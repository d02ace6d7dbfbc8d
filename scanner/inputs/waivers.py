"""The waivers file: approved exceptions for findings, with a ticket and an expiry date.

This module reads and validates the file; :mod:`scanner.rules.waivers` applies the waivers
during evaluation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scanner.errors import ScannerError
from scanner.inputs.yamlfile import quote, read_yaml_file
from scanner.model import WAIVER_KEYS, Waiver

_FIX = "fix the file or pass another with --waivers"


class WaiverError(ScannerError):
    """A waivers file that cannot be read or is malformed."""


def load_waivers(path: str) -> tuple[Waiver, ...]:
    data: Any = read_yaml_file(path, "waivers", WaiverError, _FIX)
    where = f"waivers {path}"
    if not isinstance(data, dict) or set(data) - {"waivers"}:
        raise WaiverError(f"{where}: expected a mapping with one key 'waivers'; {_FIX}")
    entries = data.get("waivers")
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        raise WaiverError(f"{where}: waivers: expected a list of entries; {_FIX}")
    return tuple(_entry(item, f"{where}: waivers[{index}]") for index, item in enumerate(entries))


def _entry(item: Any, where: str) -> Waiver:
    if not isinstance(item, dict):
        raise WaiverError(f"{where}: expected a mapping with {', '.join(WAIVER_KEYS)}; {_FIX}")
    unknown = sorted(set(map(str, item)) - set(WAIVER_KEYS))
    if unknown:
        raise WaiverError(
            f"{where}: unknown key {quote(unknown[0])} (expected {', '.join(WAIVER_KEYS)}); {_FIX}"
        )
    for key in WAIVER_KEYS:
        value = item.get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()  # YAML reads an unquoted 2026-12-31 as a date
        if not isinstance(value, str) or not value.strip():
            raise WaiverError(f"{where}.{key}: required, a non-empty string; {_FIX}")
        item[key] = value.strip()
    try:
        dt.date.fromisoformat(item["expires"])
    except ValueError:
        expires = quote(item["expires"])
        raise WaiverError(
            f"{where}.expires: {expires} is not a date of the form YYYY-MM-DD; {_FIX}"
        ) from None
    return Waiver.from_dict(item)
