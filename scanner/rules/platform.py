"""The rules that judge a cluster from the global cluster's records of it: coverage (a
cluster the kubeconfig misses, a context the platform does not know), recorded against live
versions, hosted control planes, and the platform's own upgrade preflight. Plain data in,
findings out, no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from scanner.model import (
    Evidence,
    Extension,
    Finding,
    Gate,
    Preflight,
    Role,
    Severity,
    UpgradeController,
    finding,
)
from scanner.platform.addons import EXEMPT_ANNOTATION, ClusterModuleState, ResourcePatch
from scanner.platform.catalogue import PLATFORM_NAMESPACE
from scanner.platform.clusters import READY, ClusterRecord
from scanner.platform.discovery import Discovery, of_cluster
from scanner.versions import (
    KubeVersion,
    VersionError,
    normalize_platform_version,
    parse_git_version,
)

_HAS_PATCH = re.compile(r"^v?\d+\.\d+\.\d+", re.ASCII)
_GATE_VERSION = re.compile(r"^ack-v?(\d+\.\d+)(?:\.\d+)?-", re.ASCII)
RBAC = "deploy/rbac.yaml"


def platform_findings(
    context: str,
    role: Role,
    live: KubeVersion | None,
    record: ClusterRecord | None,
    discovery: Discovery,
    *,
    record_only: bool,
    target_version: str = "",
) -> list[Finding]:
    """What the platform's records add to one cluster: for a cluster known only from its
    record, that it was not scanned; else a missing registration or a stale record; the
    hosted control plane's state; the record's phase; the platform's upgrade operator's
    view (its preflight and conditions), its extensions and cluster module; and on the
    global cluster the platform-wide gates and resource patches."""
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
        found.extend(controller_rules(context, role, discovery, controller))
        found.extend(
            extension_rules(context, of_cluster(discovery.extensions, record, is_global) or ())
        )
        module = of_cluster(discovery.cluster_modules, record, is_global)
        found.extend(cluster_module_rule(context, module) if module else ())
    if is_global and target_version:
        found.extend(admin_gate_rules(gates_for(discovery.gates or (), target_version)))
        found.extend(resource_patch_rules(discovery.resource_patches or (), target_version))
    return found


def controller_rules(
    context: str, role: Role, discovery: Discovery, controller: UpgradeController | None
) -> list[Finding]:
    """The cluster's ClusterVersionShadow: its preflight checks (Failed blocks, anything but
    Passed warns), no result yet (shown, never a pass), Stalled and Reconciling."""
    if controller is None:
        if not discovery.shadows_read or not discovery.controllers:
            return []  # no shadows at all: before 4.3, or not readable (a platform note)
        message = (
            "the platform's upgrade operator has no ClusterVersionShadow for this cluster: "
            "its preflight has no result yet (not a pass)"
        )
        fix = "check that the cluster is managed by the platform; re-run once the shadow exists"
        return [_platform("preflight-pending", context, Severity.INFO, message, fix)]
    # The global cluster's check ids stay "preflight/<check>" (as before per-cluster shadows).
    prefix = "" if role is Role.GLOBAL else context
    found = preflight_rules(controller.preflight, prefix)
    if controller.preflight is None:
        message = "the platform's upgrade preflight has no result for this cluster yet (not a pass)"
        fix = "run the platform's preflight (upgrade.sh --preflight), then re-run the scan"
        found.append(_platform("preflight-pending", context, Severity.INFO, message, fix))
    stalled, busy = controller.condition("Stalled"), controller.condition("Reconciling")
    versions = _versions(controller)
    if stalled is not None and stalled.status == "True":
        detail = ": ".join(p for p in (stalled.reason, stalled.message) if p)
        message = f"the platform's upgrade of this cluster is stalled{versions}"
        message += f" ({detail})" if detail else ""
        fix = "the upgrade needs a human: see `ac adm upgrade status --cluster` for the stage"
        found.append(_platform("upgrade-stalled", context, Severity.WARNING, message, fix))
    if busy is not None and busy.status == "True":
        message = f"the platform is upgrading this cluster{versions}"
        fix = "let the running upgrade finish before the global upgrade"
        found.append(_platform("upgrade-in-progress", context, Severity.INFO, message, fix))
    return found


def _versions(controller: UpgradeController) -> str:
    if controller.current and controller.desired and controller.current != controller.desired:
        return f" ({controller.current} -> {controller.desired})"
    return ""


def extension_rules(context: str, extensions: Sequence[Extension]) -> list[Finding]:
    """An extension with block reasons blocks; one not Running, or between versions (a
    transit version set), warns: the platform's ModuleInfoStable check is likely to fail."""
    found = []
    for ext in extensions:
        where = f"{context}/{ext.module}"
        what = f"extension {ext.module}" + (f" {ext.version}" if ext.version else "")
        if ext.block_reasons:
            message = f"{what} blocks the upgrade: {'; '.join(ext.block_reasons)}"
            fix = "resolve the block reasons (often: upgrade the extension first), then re-run"
            found.append(_platform("extension", where, Severity.BLOCKER, message, fix))
        elif ext.phase != "Running" or ext.transit_version:
            state = f"phase {ext.phase or '(none)'}"
            if ext.transit_version:
                state += f", moving through {ext.transit_version}"
            message = f"{what} is not stable ({state}); the platform's ModuleInfoStable check is "
            message += "likely to fail"
            fix = "let the extension settle in Running (or repair it) before the upgrade"
            found.append(_platform("extension", where, Severity.WARNING, message, fix))
    return found


def cluster_module_rule(context: str, module: ClusterModuleState) -> list[Finding]:
    problems = []
    if module.deploy_status != "Completed":
        problems.append(f"deployStatus {module.deploy_status or '(none)'}")
    if module.running_status != "Healthy":
        problems.append(f"runningStatus {module.running_status or '(none)'}")
    if module.upgradable is False:
        reason = f" ({module.unable_reason})" if module.unable_reason else ""
        problems.append(f"not upgradable{reason}")
    if not problems:
        return []
    message = f"cluster module {module.name}: {', '.join(problems)}"
    message += "; the platform's ClusterModuleStable check is likely to fail"
    fix = "repair the cluster's base module on the platform, then re-run the scan"
    return [_platform("cluster-module", context, Severity.WARNING, message, fix)]


def cluster_phase_rule(context: str, record: ClusterRecord) -> list[Finding]:
    if not record.phase or record.phase == "Running":
        return []
    message = f"the platform records this cluster in phase {record.phase}, not Running"
    fix = "the platform's ClusterRunning check needs Running: repair the cluster, then re-run"
    return [_platform("cluster-phase", context, Severity.WARNING, message, fix)]


def gates_for(gates: Sequence[Gate], target_version: str) -> tuple[Gate, ...]:
    """The gates with ``applies`` set: a key naming a platform version (``ack-4.4-...``)
    applies only to that target; any other key applies to every target."""
    target = _release(target_version)
    marked = []
    for gate in gates:
        match = _GATE_VERSION.match(gate.key)
        applies = match is None or target is None or _release(match.group(1)) == target
        marked.append(Gate(gate.key, gate.description, gate.acknowledged, applies))
    return tuple(marked)


def admin_gate_rules(gates: Sequence[Gate]) -> list[Finding]:
    found = []
    for gate in gates:
        if gate.acknowledged or not gate.applies:
            continue
        message = f"admin gate {gate.key} is not acknowledged"
        message += f": {gate.description}" if gate.description else ""
        patch = json.dumps({"data": {gate.key: "true"}}, separators=(",", ":"))
        fix = (
            "read what the gate asks, then acknowledge it: kubectl -n "
            f"{PLATFORM_NAMESPACE} patch configmap admin-acks --type=merge -p '{patch}'"
        )
        found.append(_platform("admin-gate", gate.key, Severity.BLOCKER, message, fix))
    return found


def resource_patch_rules(patches: Sequence[ResourcePatch], target_version: str) -> list[Finding]:
    """A ResourcePatch not exempted for the target (annotation ``exempt-for-ver``) fails the
    platform's ResourcePatchUpgradeable check. Versions compare by major.minor: ``4.3.0``
    exempts a patch for ``--target 4.3``."""
    target = _release(target_version)
    found = []
    for patch in patches:
        if target is not None and _release(patch.exempt_for) == target:
            continue
        have = f" (exempt for {patch.exempt_for})" if patch.exempt_for else ""
        message = f"resource patch {patch.ref} is not exempted for {target_version}{have}"
        where = f"-n {patch.namespace} " if patch.namespace else ""
        fix = (
            f"check the patch still applies to {target_version}, then: kubectl {where}annotate "
            f"resourcepatch {patch.name} {EXEMPT_ANNOTATION}={target_version}.0 --overwrite"
        )
        found.append(_platform("resource-patch", patch.ref, Severity.BLOCKER, message, fix))
    return found


def _release(text: str) -> str | None:
    try:
        return normalize_platform_version(text) if text else None
    except VersionError:
        return None


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


def preflight_rules(preflight: Preflight | None, prefix: str = "") -> list[Finding]:
    """The platform's own upgrade preflight: Failed blocks, Retry (or anything else but
    Passed) warns. No result at all adds nothing here; reports show it as "no result yet".
    Ids are ``preflight/[<prefix>/]<check>``."""
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
        where = f"{prefix}/{check.name}" if prefix else check.name
        findings.append(_platform("preflight", where, severity, message, fix))
    return findings


def _platform(rule: str, where: str, severity: Severity, message: str, fix: str) -> Finding:
    """A finding whose evidence is the platform's own checks and objects."""
    return finding(rule, where, severity, message, fix, evidence=Evidence.PLATFORM)


def _record(rule: str, where: str, severity: Severity, message: str, fix: str) -> Finding:
    """A finding whose evidence is the platform's record of the cluster."""
    return finding(rule, where, severity, message, fix, evidence=Evidence.RECORD)
