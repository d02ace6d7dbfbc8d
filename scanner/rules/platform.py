"""The rules that judge a cluster from the global cluster's records of it: coverage (a
cluster the kubeconfig misses, a context the platform does not know), recorded against live
versions, hosted control planes, and the platform's own upgrade preflight. Plain data in,
findings out, no I/O.
"""

from __future__ import annotations

import re

from scanner.model import Finding, Preflight, Role, Severity
from scanner.platform.records import READY, Discovery, PlatformRecord
from scanner.versions import KubeVersion, VersionError, parse_git_version

_HAS_PATCH = re.compile(r"^v?\d+\.\d+\.\d+", re.ASCII)


def platform_findings(
    context: str,
    role: Role,
    live: KubeVersion | None,
    record: PlatformRecord | None,
    discovery: Discovery,
    *,
    record_only: bool,
) -> list[Finding]:
    """What the platform's records add to one cluster: for a cluster known only from its
    record, that it was not scanned; else a missing registration or a stale record; the
    hosted control plane's state; and on the global cluster the platform's own preflight."""
    if record_only:
        assert record is not None
        return [not_scanned_rule(record), *control_plane_rule(context, record)]
    found: list[Finding] = []
    if record is None:
        if discovery.registry_read:
            found.append(not_registered_rule(context))
    else:
        found.extend(record_mismatch_rule(context, record, live))
        found.extend(control_plane_rule(context, record))
    if role is Role.GLOBAL:
        found.extend(preflight_rules(discovery.preflight))
    return found


def not_scanned_rule(record: PlatformRecord) -> Finding:
    recorded = f"recorded version {record.version}" if record.version else "no recorded version"
    state = ", ".join(
        part for part in (f"phase {record.phase}" if record.phase else "", *record.problems) if part
    )
    message = (
        f"not scanned directly; add a context to verify (known only from the global cluster's "
        f"record: {recorded}{', ' + state if state else ''})"
    )
    where = f" (API server {record.server})" if record.server else ""
    fix = f"add a kubeconfig context for this cluster{where} and re-run the scan"
    return Finding(f"not-scanned/{record.name}", "not-scanned", Severity.WARNING, message, fix)


def not_registered_rule(context: str) -> Finding:
    message = (
        "not registered on the global cluster: no platform record matches this context "
        "(by inventory platform_name, name or API server URL)"
    )
    fix = (
        "if the platform manages this cluster, set platform_name for the context in the "
        "inventory; a cluster the platform does not manage does not take part in its upgrade"
    )
    ident = f"not-registered/{context}"
    return Finding(ident, "not-registered", Severity.INFO, message, fix)


def record_mismatch_rule(
    context: str, record: PlatformRecord, live: KubeVersion | None
) -> list[Finding]:
    """The live version against the recorded one: an upgrade in progress or a stale record."""
    if live is None or record.version is None:
        return []
    try:
        recorded = parse_git_version(record.version)
    except VersionError:
        return []
    same = (
        recorded.release == live.release
        if _HAS_PATCH.match(record.version.strip())
        else recorded.minor_key == live.minor_key
    )
    if same:
        return []
    message = (
        f"the global cluster records Kubernetes {record.version} but the cluster runs {live}: "
        "an upgrade in progress, or a stale record"
    )
    fix = "let a running upgrade finish, else check the cluster's record on the global cluster"
    return [
        Finding(f"record-mismatch/{context}", "record-mismatch", Severity.WARNING, message, fix)
    ]


def control_plane_rule(context: str, record: PlatformRecord) -> list[Finding]:
    """A hosted control plane (Kamaji TenantControlPlane) that is not Ready."""
    if not record.control_plane or record.control_plane_status == READY:
        return []
    state = record.control_plane_status or "without a status"
    message = (
        f"hosted control plane (TenantControlPlane {record.control_plane}) is {state}, not Ready"
    )
    fix = "wait until the TenantControlPlane is Ready (or repair it), then re-run the scan"
    return [Finding(f"tcp-not-ready/{context}", "tcp-not-ready", Severity.WARNING, message, fix)]


def preflight_rules(preflight: Preflight | None) -> list[Finding]:
    """The platform's own upgrade preflight: Failed blocks, Retry (or anything else but
    Passed) warns. No result at all adds nothing here; reports show it as "no result yet"."""
    findings = []
    for check in preflight.checks if preflight else ():
        if check.state == "Passed":
            continue
        detail = ": ".join(part for part in (check.reason, check.message) if part)
        policy = f" (policy {check.policy})" if check.policy else ""
        if check.state == "Failed":
            severity, what = Severity.BLOCKER, "failed"
            fix = "fix what the check reports; the platform's upgrade operator re-runs it"
        elif check.state == "Retry":
            severity, what = Severity.WARNING, "is being retried"
            fix = "wait for the platform's upgrade operator to re-run it, then re-run the scan"
        else:
            severity, what = Severity.WARNING, f"is in state {check.state or '(none)'!r}"
            fix = "check the upgrade operator on the global cluster"
        message = f"platform preflight check {check.name}{policy} {what}"
        message += f": {detail}" if detail else ""
        findings.append(Finding(f"preflight/{check.name}", "preflight", severity, message, fix))
    return findings
