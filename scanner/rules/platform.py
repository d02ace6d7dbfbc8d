"""The rules that judge a cluster from the global cluster's records of it: coverage (a
cluster the kubeconfig misses, a context the platform does not know), recorded against live
versions, hosted control planes, the record's phase; and, through :mod:`scanner.rules.gate`
and :mod:`scanner.rules.health`, the platform's own gate and the global cluster's health.
:func:`platform_findings` decides which apply. Plain data in, findings out, no I/O.
"""

from __future__ import annotations

import re

from scanner.model import Evidence, Finding, Role, Severity, finding
from scanner.platform.clusters import READY, ClusterRecord
from scanner.platform.discovery import Discovery, of_cluster
from scanner.rules.context import EvaluationContext
from scanner.rules.gate import (
    admin_gate_rules,
    cluster_module_rule,
    controller_rules,
    extension_rules,
    gates_for,
    unreadable_rules,
)
from scanner.rules.health import etcd_backup_rule, pending_csr_rule
from scanner.versions import KubeVersion, VersionError, parse_git_version

_HAS_PATCH = re.compile(r"^v?\d+\.\d+\.\d+", re.ASCII)


def platform_findings(
    context: str,
    role: Role,
    live: KubeVersion | None,
    record: ClusterRecord | None,
    discovery: Discovery,
    ctx: EvaluationContext,
    *,
    record_only: bool,
) -> list[Finding]:
    """What the platform's records add to one cluster: for a cluster known only from its
    record, that it was not scanned; else a missing registration or a stale record; the
    hosted control plane's state; the record's phase; the platform's upgrade operator's
    view (its preflight and conditions), its extensions and cluster module; and on the
    global cluster the release's admin gates, its etcd backup and pending certificates."""
    found: list[Finding] = []
    if record_only:
        assert record is not None
        found.append(not_scanned_rule(record))
    elif record is None:
        if discovery.registry_read:
            found.append(not_registered_rule(context))
    else:
        found.extend(record_mismatch_rule(context, record, live))
    if record is not None:
        found.extend(control_plane_rule(context, record))
        found.extend(cluster_phase_rule(context, record))
    is_global = role is Role.GLOBAL
    if record is not None or is_global:
        controller = of_cluster(discovery.controllers, record, is_global)
        found.extend(controller_rules(context, role, discovery, controller, ctx))
        found.extend(
            extension_rules(context, of_cluster(discovery.extensions, record, is_global) or ())
        )
        module = of_cluster(discovery.cluster_modules, record, is_global)
        found.extend(cluster_module_rule(context, module) if module else ())
    if is_global:
        found.extend(admin_gate_rules(gates_for(discovery.gates or (), ctx.target.version)))
        found.extend(etcd_backup_rule(context, discovery.etcd_backup, ctx))
        found.extend(pending_csr_rule(context, discovery.pending_csrs))
        found.extend(unreadable_rules(context, discovery))
    return found


def not_scanned_rule(record: ClusterRecord) -> Finding:
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
    return _record("not-scanned", record.name, Severity.WARNING, message, fix)


def not_registered_rule(context: str) -> Finding:
    message = (
        "not registered on the global cluster: no platform record matches this context "
        "(by inventory platform_name, name or API server URL)"
    )
    fix = (
        "if the platform manages this cluster, set platform_name for the context in the "
        "inventory; a cluster the platform does not manage does not take part in its upgrade"
    )
    return _record("not-registered", context, Severity.INFO, message, fix)


def record_mismatch_rule(
    context: str, record: ClusterRecord, live: KubeVersion | None
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
    return [_record("record-mismatch", context, Severity.WARNING, message, fix)]


def control_plane_rule(context: str, record: ClusterRecord) -> list[Finding]:
    """A hosted control plane (Kamaji TenantControlPlane) that is not Ready."""
    if not record.control_plane or record.control_plane_status == READY:
        return []
    state = record.control_plane_status or "without a status"
    message = (
        f"hosted control plane (TenantControlPlane {record.control_plane}) is {state}, not Ready"
    )
    fix = "wait until the TenantControlPlane is Ready (or repair it), then re-run the scan"
    return [_platform("tcp-not-ready", context, Severity.WARNING, message, fix)]


def cluster_phase_rule(context: str, record: ClusterRecord) -> list[Finding]:
    if not record.phase or record.phase == "Running":
        return []
    message = f"the platform records this cluster in phase {record.phase}, not Running"
    fix = "the platform's ClusterRunning check needs Running: repair the cluster, then re-run"
    return [_platform("cluster-phase", context, Severity.WARNING, message, fix)]


def _platform(rule: str, where: str, severity: Severity, message: str, fix: str) -> Finding:
    """A finding whose evidence is the platform's own checks and objects."""
    return finding(rule, where, severity, message, fix, evidence=Evidence.PLATFORM)


def _record(rule: str, where: str, severity: Severity, message: str, fix: str) -> Finding:
    """A finding whose evidence is the platform's record of the cluster."""
    return finding(rule, where, severity, message, fix, evidence=Evidence.RECORD)
