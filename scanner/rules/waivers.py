"""Applying waivers: approved exceptions stay visible but stop counting.

A waived finding stays in every report, with its waiver, but no longer counts toward the
cluster's status or the verdict. A waiver never turns an ``UNKNOWN`` cluster into a pass:
errors are not findings and cannot be waived.

- an expired waiver does not apply; each finding it would have matched gets a warning
  ``waiver-expired/<finding id>`` right after it (so the expiry is noticed);
- a waiver that matches no finding becomes an info finding ``waiver-stale/<pattern>``, which
  evaluation puts on the global cluster (a cleanup hint; the finding it was for is gone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from fnmatch import fnmatchcase

from scanner.model import Evidence, Finding, Severity, Waiver, finding


def apply_waivers(
    findings: Sequence[Sequence[Finding]], waivers: Sequence[Waiver], today: dt.date
) -> tuple[list[tuple[Finding, ...]], list[Finding]]:
    """Each cluster's findings with waivers applied, and the stale-waiver findings."""
    active = [w for w in waivers if dt.date.fromisoformat(w.expires) >= today]
    expired = [w for w in waivers if w not in active]
    used: set[int] = set()
    result = []
    for cluster in findings:
        out: list[Finding] = []
        for found in cluster:
            match = next((w for w in active if fnmatchcase(found.id, w.finding)), None)
            if match is not None:
                used.add(id(match))
                found = replace(found, waiver=match)
            out.append(found)
            for waiver in expired:
                if fnmatchcase(found.id, waiver.finding):
                    used.add(id(waiver))
                    out.append(_expired(found, waiver))
        result.append(tuple(out))
    stale = [_stale(w) for w in waivers if id(w) not in used]
    return result, stale


def _expired(found: Finding, waiver: Waiver) -> Finding:
    message = f"the waiver for {found.id} ({waiver.ticket}) expired on {waiver.expires}"
    fix = "renew the waiver with a new expiry date, or fix the finding"
    return finding(
        "waiver-expired", found.id, Severity.WARNING, message, fix, evidence=Evidence.CONFIG
    )


def _stale(waiver: Waiver) -> Finding:
    message = f"waiver {waiver.finding!r} ({waiver.ticket}) matches no finding"
    fix = "remove it from the waivers file if the issue is resolved"
    return finding(
        "waiver-stale", waiver.finding, Severity.INFO, message, fix, evidence=Evidence.CONFIG
    )
