"""The waivers file: approved exceptions for findings, with a ticket and an expiry date.

This module reads and validates the file; :mod:`scanner.rules.waivers` applies the waivers
during evaluation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scanner.errors import WaiverError
from scanner.inputs.fields import Checker
from scanner.inputs.yamlfile import quote, read_yaml_file
from scanner.model import WAIVER_KEYS, Waiver

_FIX = "fix the file or pass another with --waivers"


def load_waivers(path: str) -> tuple[Waiver, ...]:
    data: Any = read_yaml_file(path, "waivers", WaiverError, _FIX)
    check = Checker(path, "waivers", WaiverError, _FIX)
    if not isinstance(data, dict) or set(data) - {"waivers"}:
        check.fail("", "expected a mapping with one key 'waivers'")
    entries = data.get("waivers")
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        check.fail("waivers", "expected a list of entries")
    return tuple(_entry(check, item, f"waivers[{index}]") for index, item in enumerate(entries))


def _entry(check: Checker, item: Any, where: str) -> Waiver:
    if not isinstance(item, dict):
        check.fail(where, f"expected a mapping with {', '.join(WAIVER_KEYS)}")
    check.mapping(item, where, WAIVER_KEYS)
    values: dict[str, str] = {}
    for key in WAIVER_KEYS:
        value = item.get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()  # YAML reads an unquoted 2026-12-31 as a date
        if not isinstance(value, str) or not value.strip():
            check.fail(f"{where}.{key}", "required, a non-empty string")
        values[key] = value.strip()
    try:
        dt.date.fromisoformat(values["expires"])
    except ValueError:
        check.fail(
            f"{where}.expires", f"{quote(values['expires'])} is not a date of the form YYYY-MM-DD"
        )
    return Waiver(**values)
