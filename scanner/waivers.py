"""Waivers: approved exceptions for findings, with a ticket and an expiry date.

A waived finding stays in every report, with its waiver, but no longer counts toward the
cluster's status or the verdict. A waiver never turns an ``UNKNOWN`` cluster into a pass:
errors are not findings and cannot be waived.

- an expired waiver does not apply; each finding it would have matched gets a warning
  ``waiver-expired/<finding id>`` on the same cluster (so the expiry is noticed);
- a waiver that matches no finding adds an info finding ``waiver-stale/<pattern>`` on the global
  cluster (a cleanup hint; the finding it was for is gone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Any

from scanner.errors import ScannerError
from scanner.evaluate import exit_code_for, status_of, verdict_of
from scanner.kubeconfig import quote, read_yaml_file
from scanner.model import WAIVER_KEYS, Finding, Role, Severity, Waiver
from scanner.report import ClusterResult, Report

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


def apply_waivers(report: Report, waivers: Sequence[Waiver], today: dt.date) -> Report:
    """The report with waivers applied and statuses, verdict and exit code recomputed."""
    active = [w for w in waivers if dt.date.fromisoformat(w.expires) >= today]
    expired = [w for w in waivers if w not in active]
    used: set[int] = set()
    clusters = []
    for cluster in report.clusters:
        findings: list[Finding] = []
        for finding in cluster.findings:
            match = _first(active, finding)
            if match is not None:
                used.add(id(match))
                finding = replace(finding, waiver=match)
            findings.append(finding)
            for waiver in expired:
                if fnmatchcase(finding.id, waiver.finding):
                    used.add(id(waiver))
                    findings.append(_expired(finding, waiver))
        clusters.append(_restatus(cluster, findings))
    stale = [w for w in waivers if id(w) not in used]
    clusters = _add_stale(clusters, stale)
    verdict = verdict_of(clusters)
    return replace(
        report, clusters=tuple(clusters), verdict=verdict, exit_code=int(exit_code_for(verdict))
    )


def _first(waivers: Sequence[Waiver], finding: Finding) -> Waiver | None:
    return next((w for w in waivers if fnmatchcase(finding.id, w.finding)), None)


def _expired(finding: Finding, waiver: Waiver) -> Finding:
    return Finding(
        id=f"waiver-expired/{finding.id}",
        rule="waiver-expired",
        severity=Severity.WARNING,
        message=f"the waiver for {finding.id} ({waiver.ticket}) expired on {waiver.expires}",
        remediation="renew the waiver with a new expiry date, or fix the finding",
    )


def _restatus(cluster: ClusterResult, findings: list[Finding]) -> ClusterResult:
    return replace(cluster, findings=tuple(findings), status=status_of(findings, cluster.error))


def _add_stale(clusters: list[ClusterResult], stale: Sequence[Waiver]) -> list[ClusterResult]:
    if not stale:
        return clusters
    index = next((i for i, c in enumerate(clusters) if c.role is Role.GLOBAL), 0)
    extra = [
        Finding(
            id=f"waiver-stale/{waiver.finding}",
            rule="waiver-stale",
            severity=Severity.INFO,
            message=f"waiver {waiver.finding!r} ({waiver.ticket}) matches no finding",
            remediation="remove it from the waivers file if the issue is resolved",
        )
        for waiver in stale
    ]
    if clusters:
        cluster = clusters[index]
        clusters[index] = _restatus(cluster, [*cluster.findings, *extra])
    return clusters
