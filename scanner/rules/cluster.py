"""The rules that judge one cluster from its own observation and configuration: plain data
in, findings out, no I/O. :func:`cluster_findings` decides which of them apply.

Finding ids are ``<rule>/<context>`` or ``<rule>/<context>/<detail>`` and depend only on what
was found, never on order or time, so reports can be diffed and findings waived.
"""

from __future__ import annotations

from collections.abc import Mapping

from scanner.errors import UsageError, VersionError
from scanner.inputs.policy import (
    Minor,
    OnboardingRange,
    Policy,
    Release,
    SkewLimits,
    format_minor,
    format_patch,
    notes_for,
)
from scanner.inputs.targets import Target
from scanner.model import Evidence, Finding, Observation, Role, ScanError, Severity, finding
from scanner.rules.context import EvaluationContext
from scanner.rules.findings import nodes_run, said
from scanner.rules.health import node_health_rule
from scanner.rules.path import latest_rule, upgrade_path_rule, window_rule
from scanner.versions import KubeVersion, parse_git_version


def cluster_findings(
    target: Target, obs: Observation, ctx: EvaluationContext
) -> tuple[list[Finding], tuple[str, ...]]:
    """Every cluster rule that applies, for ``scan``, and the cluster's upgrade path. Findings
    come most decisive first: the upgrade rule, then nodes, then configuration and release
    notes. Findings that need no observation (the global cluster's upgrade path, insecure TLS,
    kind, release notes) hold even when the cluster could not be scanned."""
    findings: list[Finding] = []
    path: tuple[str, ...] = ()
    if target.role is Role.GLOBAL:
        findings.append(upgrade_path_rule(target.context, ctx))
    if obs.error is None and obs.version is not None:
        if target.role is Role.WORKLOAD:
            gate, path = workload_gate(target, obs, ctx)
            findings.extend(gate)
        findings.extend(_node_findings(obs, target.role, ctx))
    findings.extend(_static_findings(target, ctx))
    return findings, path


def onboarding_findings(
    target: Target, obs: Observation, ctx: EvaluationContext
) -> tuple[list[Finding], tuple[str, ...]]:
    """Only the target's onboarding range, for every kind, for the ``onboarding`` command."""
    if ctx.target.onboarding is None:
        raise UsageError(f"this policy has no onboarding range for {ctx.target.version}")
    if obs.error is not None or obs.version is None:
        return [], ()
    found = onboarding_rule(obs, obs.version, ctx.target.onboarding, ctx.target.version)
    return ([found] if found else []), ()


def _static_findings(target: Target, ctx: EvaluationContext) -> list[Finding]:
    """Findings from configuration alone: they hold even when the cluster is unreachable."""
    found = [insecure_tls_rule(target)]
    if target.role is Role.WORKLOAD:
        found.append(kind_unknown_rule(target, ctx.target.rule))
    return [
        *(finding for finding in found if finding is not None),
        *release_note_rules(target, ctx.target),
    ]


def workload_gate(
    target: Target, obs: Observation, ctx: EvaluationContext
) -> tuple[list[Finding], tuple[str, ...]]:
    """The target's rule (window or latest) and, for third-party clusters, onboarding, on
    the observation's version (live, or the one the platform records)."""
    release, version = ctx.target, obs.version
    if version is None:
        return [], ()
    findings: list[Finding | None] = []
    path: tuple[str, ...] = ()
    if release.rule == "window":
        gate, path = window_rule(obs, version, release)
        findings.append(gate)
    elif release.rule == "latest":
        if ctx.from_release is None:
            raise UsageError(f"--from is required for --target {release.version} (rule latest)")
        gate, path = latest_rule(obs, version, release, ctx.from_release)
        findings.append(gate)
    if target.kind == "third-party" and release.onboarding and ctx.check_onboarding:
        findings.append(onboarding_rule(obs, version, release.onboarding, release.version))
    return [found for found in findings if found is not None], path


def _node_findings(obs: Observation, role: Role, ctx: EvaluationContext) -> list[Finding]:
    if obs.nodes is None:
        # No nodes and no error means --no-nodes: nothing to say.
        return [nodes_unavailable_rule(obs.context, obs.nodes_error)] if obs.nodes_error else []
    assert obs.version is not None
    return [
        *node_health_rule(obs.context, role, obs.nodes),
        *skew_rule(obs.context, obs.version, obs.nodes.kubelet_versions, ctx.policy.skew),
        *runtime_rule(obs.context, obs.nodes.container_runtimes, ctx.policy, ctx.target),
    ]


def onboarding_rule(
    obs: Observation, version: KubeVersion, onboarding: OnboardingRange, release: str
) -> Finding | None:
    """Third-party clusters are onboarded only inside ``[min, max)`` (major.minor.patch)."""
    if onboarding.contains(version):
        return None
    label = f"the {release} onboarding range {onboarding}"
    if version.pre_release:
        message = f"Kubernetes {version} is a pre-release, which is never inside {label}"
        fix = "move the cluster to a released build inside the range"
    elif version.release < onboarding.min:
        message = f"Kubernetes {format_patch(version.release)} is below {label}"
        fix = f"upgrade the cluster to {format_patch(onboarding.min)} or later"
    else:
        message = f"Kubernetes {format_patch(version.release)} is above {label}"
        fix = (
            f"the platform {release} does not accept third-party clusters on "
            f"{format_patch(onboarding.max)} or later; keep the cluster below it or detach it"
        )
    message += said(obs)
    return finding("onboarding", obs.context, Severity.BLOCKER, message, fix, evidence=obs.evidence)


def skew_rule(
    context: str, api: KubeVersion, kubelets: Mapping[str, int], limits: SkewLimits
) -> list[Finding]:
    """Kubelets never newer than the API server, and at most N minors older."""
    by_minor: dict[Minor, dict[str, int]] = {}
    unparsed: dict[str, int] = {}
    for raw, count in kubelets.items():
        try:
            by_minor.setdefault(parse_git_version(raw).minor_key, {})[raw] = count
        except VersionError:
            unparsed[raw] = count
    findings = [
        found
        for minor, versions in sorted(by_minor.items())
        if (found := _skew_of(context, api, minor, versions, limits)) is not None
    ]
    if unparsed:
        listing = ", ".join(repr(raw) for raw in sorted(unparsed))
        message = (
            f"{nodes_run(sum(unparsed.values()))} a kubelet version that cannot be parsed "
            f"({listing}); version skew not checked for them"
        )
        findings.append(finding("skew", f"{context}/unparsed", Severity.WARNING, message))
    return findings


def _skew_of(
    context: str, api: KubeVersion, minor: Minor, versions: Mapping[str, int], limits: SkewLimits
) -> Finding | None:
    nodes = f"{nodes_run(sum(versions.values()))} kubelet {', '.join(sorted(versions))}"
    server = f"the API server {api.minor_text}"
    where = f"{context}/{format_minor(minor)}"
    if minor > api.minor_key:
        message = f"{nodes}, newer than {server}; a kubelet must never be newer than its API server"
        fix = f"upgrade the control plane to {format_minor(minor)} or replace those nodes"
        return finding("skew", where, Severity.BLOCKER, message, fix)
    behind = api.minor - minor[1] if minor[0] == api.major else None
    allowed = limits.allowed_behind(minor)
    if behind is None or behind > allowed:
        distance = f"{behind} minors older than" if behind is not None else "a different major than"
        message = f"{nodes}, {distance} {server}; the skew policy allows at most {allowed}"
        if minor < limits.old_kubelet_before:
            message += f" for kubelets older than {format_minor(limits.old_kubelet_before)}"
        oldest = format_minor((api.major, api.minor - allowed))
        fix = f"upgrade those nodes to kubelet {oldest} or newer"
        return finding("skew", where, Severity.BLOCKER, message, fix)
    if behind == 0:
        return None
    # Within the skew policy: worth knowing, not a problem. At the limit, the next
    # control-plane upgrade would break it.
    message = (
        f"{nodes}, {behind} minor{'s' if behind > 1 else ''} behind {server} (allowed: {allowed})"
    )
    fix = "upgrade those nodes before the next control-plane upgrade" if behind == allowed else ""
    return finding("skew", where, Severity.INFO, message, fix)


def runtime_rule(
    context: str, runtimes: Mapping[str, int], policy: Policy, target: Release
) -> list[Finding]:
    """Nodes on a runtime the target release's upgrade preflight rejects (Docker on 4.3) are
    blockers. Before such a release (4.0 and 4.1 create Docker clusters through cri-dockerd)
    they are an info naming the release that will reject them."""
    by_scheme: dict[str, dict[str, int]] = {}
    for raw, count in runtimes.items():
        by_scheme.setdefault(raw.split("://", 1)[0].strip().lower(), {})[raw] = count
    found = []
    for scheme, seen in sorted(by_scheme.items()):
        nodes = f"{nodes_run(sum(seen.values()))} {', '.join(sorted(seen))}"
        name = scheme.capitalize()
        if scheme in target.rejected_runtimes:
            message = (
                f"{nodes}; the platform's {target.version} upgrade preflight rejects the {name} "
                "runtime"
            )
            fix = "migrate those nodes to containerd"
            found.append(finding("runtime", f"{context}/{scheme}", Severity.BLOCKER, message, fix))
            continue
        later = policy.first_rejecting(scheme, target)
        if later is None:
            continue
        message = (
            f"{nodes}; fine for {target.version}, but the platform's {later.version} upgrade "
            f"preflight rejects the {name} runtime"
        )
        fix = f"migrate those nodes to containerd before the upgrade to {later.version}"
        found.append(finding("runtime", f"{context}/{scheme}", Severity.INFO, message, fix))
    return found


def insecure_tls_rule(target: Target) -> Finding | None:
    if not target.insecure_skip_tls_verify:
        return None
    message = (
        "the kubeconfig turns TLS verification off for this context "
        "(insecure-skip-tls-verify), so the server's identity was not verified"
    )
    fix = "set certificate-authority(-data) for the cluster and remove insecure-skip-tls-verify"
    return finding(
        "insecure-tls", target.context, Severity.WARNING, message, fix, evidence=Evidence.CONFIG
    )


def kind_unknown_rule(target: Target, rule: str | None) -> Finding | None:
    if target.kind != "unknown":
        return None
    applies = "the window applies" if rule == "window" else f"the {rule or 'upgrade'} rule applies"
    message = (
        f"kind not known (pass --inventory); {applies} to every workload cluster whatever its kind"
    )
    return finding("kind-unknown", target.context, Severity.INFO, message, evidence=Evidence.CONFIG)


def nodes_unavailable_rule(context: str, nodes_error: ScanError) -> Finding:
    # Error messages may span lines (client tracebacks); a finding message is one line.
    detail = " ".join(nodes_error.message.split())
    message = (
        f"node list unavailable ({nodes_error.category.value}: {detail}); "
        "kubelet skew and container runtimes not checked"
    )
    fix = "grant list on nodes to the scanning user, or pass --no-nodes to skip the check"
    return finding("nodes-unavailable", context, Severity.WARNING, message, fix)


def release_note_rules(target: Target, release: Release) -> list[Finding]:
    """Notes the target release carries for this kind (HCP Technology Preview in 4.3)."""
    return [
        finding(note.rule, target.context, note.severity, note.message, evidence=Evidence.CONFIG)
        for note in notes_for(release, target.kind)
    ]


def recorded_gate(
    target: Target, recorded: KubeVersion, ctx: EvaluationContext
) -> tuple[list[Finding], tuple[str, ...]]:
    """The workload gate on the version the platform records, for a cluster whose live
    version could not be read (SPEC 4: a known blocker counts even when the scan failed).
    The findings say so and carry ``evidence: record``."""
    if target.role is not Role.WORKLOAD:
        return [], ()
    provenance = (
        f"the version the platform records, {recorded.git_version}: the live version "
        "could not be read"
    )
    obs = Observation(target.context, recorded, evidence=Evidence.RECORD, provenance=provenance)
    return workload_gate(target, obs, ctx)
