"""The platform's own upgrade gate, predicted per cluster: what its upgrade operator says of
the cluster (preflight checks, a preflight too old or run for another version, stalled or
running upgrades), its extensions, its base module, its own resource patches, and the
release's admin gates. Plain data in, findings out, no I/O."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from collections.abc import Sequence

from scanner.durations import duration_text
from scanner.inputs.targets import Target
from scanner.model import (
    Access,
    Evidence,
    Extension,
    Finding,
    Gate,
    Preflight,
    ResourcePatch,
    Role,
    Severity,
    UpgradeController,
    finding,
)
from scanner.platform.addons import ClusterModuleState
from scanner.platform.catalogue import (
    ADMIN_ACKS,
    ADMIN_GATES,
    CAPI,
    CLUSTERMODULE_LIST,
    CSR_LIST,
    CVO_CONFIG,
    KAMAJI,
    MODULEINFO_LIST,
    PLATFORM_NAMESPACE,
    PRODUCTBASE,
    SHADOW_LIST,
    TKESTACK,
)
from scanner.platform.discovery import Discovery
from scanner.rules.context import EvaluationContext
from scanner.versions import VersionError, normalize_platform_version, parse_platform_version

_GATE_VERSION = re.compile(r"^ack-v?(\d+\.\d+)(?:\.\d+)?-", re.ASCII)
EXEMPT_ANNOTATION = "config.cpaas.io/exempt-for-ver"


def controller_rules(
    context: str,
    role: Role,
    discovery: Discovery,
    controller: UpgradeController | None,
    ctx: EvaluationContext,
) -> list[Finding]:
    """The cluster's ClusterVersionShadow: its preflight checks (Failed blocks, anything but
    Passed warns), no result yet (shown, never a pass), a preflight too old or run for
    another version, Stalled and Reconciling."""
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
    found.extend(preflight_age_rules(context, controller, ctx))
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


def preflight_age_rules(
    context: str, controller: UpgradeController, ctx: EvaluationContext
) -> list[Finding]:
    """A preflight older than ``--max-preflight-age`` describes another platform (warning);
    one run for a desired version other than the target answers another question (info)."""
    found: list[Finding] = []
    preflight = controller.preflight
    observed = _time(preflight.observed_at) if preflight else None
    if observed is not None and ctx.now is not None and ctx.now - observed > ctx.max_preflight_age:
        days = (ctx.now - observed).days
        when = preflight.observed_at if preflight else ""
        message = (
            f"the platform's preflight for this cluster was observed {when} ({days} days ago, "
            f"older than {duration_text(ctx.max_preflight_age)}): its results may no longer hold"
        )
        fix = "re-run `upgrade.sh --preflight` on the global cluster, then re-run the scan"
        found.append(_platform("preflight-stale", context, Severity.WARNING, message, fix))
    desired = controller.desired
    if preflight is not None and desired and not _same_target(desired, ctx):
        message = (
            f"the platform's upgrade operator is set to {desired}, not to {ctx.target_text}: "
            "its preflight answers for that version"
        )
        fix = f"set the desired version to {ctx.target_text} and re-run its preflight"
        found.append(_platform("preflight-target", context, Severity.INFO, message, fix))
    return found


def _same_target(desired: str, ctx: EvaluationContext) -> bool:
    try:
        wanted = parse_platform_version(desired)
    except VersionError:
        return False
    target = ctx.target_version
    if target is None or target.patch is None or wanted.patch is None:
        return wanted.release == ctx.target.version
    return wanted == target


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def extension_rules(context: str, extensions: Sequence[Extension]) -> list[Finding]:
    """Extensions judged by their versions (the vendor's design doc: a ModuleInfo is ready
    only when ``status.version == spec.version``): block reasons block; between versions (or
    a transit version set) warns, naming both; a condition that is False warns. A phase other
    than Running alone is shown, not judged (the phase is only logged upstream)."""
    found = []
    for ext in extensions:
        where = f"{context}/{ext.module}"
        what = f"extension {ext.module}" + (f" {ext.version}" if ext.version else "")
        if ext.block_reasons:
            message = f"{what} blocks the upgrade: {'; '.join(ext.block_reasons)}"
            fix = "resolve the block reasons (often: upgrade the extension first), then re-run"
            found.append(_platform("extension", where, Severity.BLOCKER, message, fix))
            continue
        problems = []
        if ext.between_versions:
            versions = (
                f"runs {ext.version or '(no version)'}, wants {ext.target_version or '(none)'}"
            )
            if ext.transit_version:
                versions += f", moving through {ext.transit_version}"
            problems.append(f"between versions ({versions})")
        false = [c for c in ext.conditions if c.status == "False"]
        problems.extend(
            f"condition {c.type} is False"
            + (f" ({c.reason or c.message})" if c.reason or c.message else "")
            for c in false
        )
        if problems:
            message = f"extension {ext.module} is {'; '.join(problems)}; the platform's "
            message += "ModuleInfoStable check is likely to fail"
            fix = "let the extension finish its upgrade (or repair it) before the upgrade"
            found.append(_platform("extension", where, Severity.WARNING, message, fix))
    return found


def cluster_module_rule(context: str, module: ClusterModuleState) -> list[Finding]:
    """The cluster's base module: not deployed and healthy, not upgradable, a phase other
    than Running or a condition that is False warns (the ClusterModuleStable check)."""
    problems = []
    if module.deploy_status != "Completed":
        problems.append(f"deployStatus {module.deploy_status or '(none)'}")
    if module.running_status != "Healthy":
        problems.append(f"runningStatus {module.running_status or '(none)'}")
    if module.upgradable is False:
        reason = f" ({module.unable_reason})" if module.unable_reason else ""
        problems.append(f"not upgradable{reason}")
    if module.phase and module.phase != "Running":
        problems.append(f"phase {module.phase}")
    problems.extend(
        f"condition {c.type} is False" for c in module.conditions if c.status == "False"
    )
    if not problems:
        return []
    message = f"cluster module {module.name}: {', '.join(problems)}"
    message += "; the platform's ClusterModuleStable check is likely to fail"
    fix = "repair the cluster's base module on the platform, then re-run the scan"
    return [_platform("cluster-module", context, Severity.WARNING, message, fix)]


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


def resource_patch_rules(
    target: Target, patches: Sequence[ResourcePatch], ctx: EvaluationContext
) -> list[Finding]:
    """A cluster's own ResourcePatch not exempted for the target (annotation
    ``config.cpaas.io/exempt-for-ver``) fails the platform's ResourcePatchUpgradeable check.
    Versions compare by major.minor: ``4.3.0`` exempts a patch for ``--target 4.3``. The
    fix is the exact ``kubectl annotate`` of that cluster."""
    release = ctx.target.version
    value = (
        ctx.target_text
        if ctx.target_version and ctx.target_version.patch is not None
        else f"{release}.0"
    )
    found = []
    for patch in patches:
        if _release(patch.exempt_for) == release:
            continue
        have = f" (exempt for {patch.exempt_for})" if patch.exempt_for else ""
        message = (
            f"resource patch {patch.name} (patches {patch.target_text}) is not exempted for "
            f"{ctx.target_text}{have}"
        )
        annotate = (
            f"annotate resourcepatches {shlex.quote(patch.name)} "
            f"{EXEMPT_ANNOTATION}={value} --overwrite"
        )
        fix = (
            f"check that the patch still applies to {ctx.target_text}, then: "
            f"kubectl {_cluster_flag(target)} {annotate}"
        )
        where = f"{target.context}/{patch.name}"
        found.append(_platform("resource-patch", where, Severity.BLOCKER, message, fix))
    return found


def _cluster_flag(target: Target) -> str:
    """How kubectl reaches this cluster: its context, or the platform proxy's URL."""
    if target.access is Access.KUBECONFIG:
        return f"--context {shlex.quote(target.context)}"
    return f"--server {shlex.quote(target.server)}"


def _release(text: str) -> str | None:
    try:
        return normalize_platform_version(text) if text else None
    except VersionError:
        return None


# Unreadable platform documents: the ones that can hold a blocker make a blocker (what they
# say is not known, so it cannot pass); the others a warning. The etcd backup's goes to the
# manual checklist instead.
_HOLDS_BLOCKERS = {
    SHADOW_LIST.key: "the platform's preflight results",
    ADMIN_GATES.key: "the release's admin gates",
    ADMIN_ACKS.key: "which admin gates are acknowledged",
    MODULEINFO_LIST.key: "the extensions' block reasons",
    TKESTACK.key: "the clusters the platform manages and their versions",
    CAPI.key: "the clusters the platform manages",
    KAMAJI.key: "the hosted control planes",
}
_HOLDS_WARNINGS = {
    CVO_CONFIG.key: "which preflight checks the platform skips",
    CLUSTERMODULE_LIST.key: "the cluster modules' state",
    CSR_LIST.key: "pending certificate requests",
    PRODUCTBASE.key: "the current platform version",
}


def unreadable_rules(context: str, discovery: Discovery) -> list[Finding]:
    """A platform document that answered but could not be read is never silence: what it
    holds is not known, so it cannot pass (``platform-unreadable/<read>``)."""
    found = []
    for key, why in sorted(discovery.unreadable.items()):
        if key in _HOLDS_BLOCKERS:
            severity, holds = Severity.BLOCKER, _HOLDS_BLOCKERS[key]
        elif key in _HOLDS_WARNINGS:
            severity, holds = Severity.WARNING, _HOLDS_WARNINGS[key]
        else:
            continue  # the etcd backup: the manual checklist names it
        message = (
            f"the global cluster's {key} answered but could not be read ({why}); what it "
            f"holds ({holds}) is not known"
        )
        fix = f"look at {key} on the global cluster (kubectl get ... -o yaml), repair it, re-run"
        found.append(_platform("platform-unreadable", f"{context}/{key}", severity, message, fix))
    return found


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
