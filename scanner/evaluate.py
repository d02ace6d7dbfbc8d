"""Evaluation (SPEC section 4): targets and observations in, cluster results and a verdict out.

Pure functions over plain data, no I/O. The rules themselves are in :mod:`scanner.rules`;
this module decides which rule applies to which cluster and how findings become a status.

Decisions:
- A cluster that has an error is ``UNKNOWN``, whatever else is known. Findings that need no
  observation (upgrade path of the global cluster, insecure TLS, kind, release notes) are
  still reported for it, so the report shows them.
- A target without an observation is ``UNKNOWN`` (``config`` when the kubeconfig entry is
  broken, else ``timeout``: the scan ended before it was collected). An observation without
  an error and without a version is ``UNKNOWN``/``invalid_response``.
- No clusters at all is ``INCOMPLETE``: nothing was shown to be ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.errors import UsageError
from scanner.exitcodes import ExitCode
from scanner.model import (
    ErrorCategory,
    Finding,
    Observation,
    Role,
    ScanError,
    Severity,
    Status,
    Target,
    Verdict,
)
from scanner.policy import Policy, Release, format_minor, latest_minor, version_key
from scanner.report import ClusterResult, Report
from scanner.rules import (
    insecure_tls_rule,
    kind_unknown_rule,
    latest_rule,
    nodes_unavailable_rule,
    onboarding_rule,
    release_note_rules,
    runtime_rule,
    skew_rule,
    upgrade_path,
    upgrade_path_rule,
    window_rule,
)

__all__ = [
    "EvaluationContext",
    "build_report",
    "evaluate_cluster",
    "evaluate_onboarding",
    "exit_code_for",
    "onboarding_context",
    "scan_context",
    "status_of",
    "target_release",
    "upgrade_path",
    "verdict_of",
]


@dataclass(frozen=True)
class EvaluationContext:
    """What every cluster is judged against. Build it with :func:`scan_context` or
    :func:`onboarding_context`, which refuse impossible combinations up front."""

    policy: Policy
    target: Release
    from_release: Release | None = None
    check_onboarding: bool = True


def scan_context(
    policy: Policy, target: str, from_version: str | None = None, *, check_onboarding: bool = True
) -> EvaluationContext:
    """Resolve ``--target``/``--from`` for ``scan``; raise before any cluster is contacted.

    PolicyError for a version the policy does not know; UsageError when the target cannot be
    a target (no rule), when ``latest`` lacks ``--from``, or when ``--from`` equals the target.
    """
    release = target_release(policy, target)
    current = policy.release(from_version) if from_version is not None else None
    if release.rule == "latest" and current is None:
        example = max(release.upgrade_from, key=version_key, default="4.1")
        raise UsageError(
            f"--from is required for --target {release.version}: its upgrade rule 'latest' "
            f"checks workload clusters against the current platform version (e.g. --from {example})"
        )
    if current is not None and current.version == release.version:
        raise UsageError(
            f"--from {current.version} is the same as --target {release.version}; "
            "--from is the platform version the global cluster runs now"
        )
    return EvaluationContext(policy, release, current, check_onboarding)


def target_release(policy: Policy, target: str) -> Release:
    """The release ``--target`` names; PolicyError when unknown, UsageError without a rule."""
    release = policy.release(target)
    if release.rule is None:
        targets = ", ".join(v for v in policy.known_versions if policy.releases[v].rule)
        raise UsageError(
            f"--target {release.version}: this policy gives {release.version} no upgrade rule, "
            f"so it cannot be a target (targets: {targets})"
        )
    return release


def onboarding_context(policy: Policy, target: str) -> EvaluationContext:
    """Resolve ``--target`` for ``onboarding``: the release must have an onboarding range."""
    release = policy.release(target)
    if release.onboarding is None:
        with_range = ", ".join(v for v in policy.known_versions if policy.releases[v].onboarding)
        raise UsageError(
            f"--target {release.version}: this policy has no onboarding range for "
            f"{release.version} (ranges: {with_range or 'none'})"
        )
    return EvaluationContext(policy, release)


def status_of(findings: Iterable[Finding], error: ScanError | None) -> Status:
    """SPEC 4: UNKNOWN if an error, else BLOCKED on any blocker, else WARN on any warning."""
    if error is not None:
        return Status.UNKNOWN
    # A waived finding stays in the report but no longer counts toward the status.
    severities = {finding.severity for finding in findings if finding.waiver is None}
    if Severity.BLOCKER in severities:
        return Status.BLOCKED
    if Severity.WARNING in severities:
        return Status.WARN
    return Status.PASS


def evaluate_cluster(target: Target, obs: Observation, ctx: EvaluationContext) -> ClusterResult:
    """Every rule that applies to this cluster, for ``scan``. Findings come most decisive
    first: the upgrade rule, then nodes, then configuration and release notes."""
    error = _error_of(obs)
    findings: list[Finding] = []
    path: tuple[str, ...] = ()
    if target.role is Role.GLOBAL:
        # Independent of the observation: reported even when the cluster is unreachable.
        findings.append(upgrade_path_rule(target.context, ctx.policy, ctx.target, ctx.from_release))
    if error is None and obs.version is not None:
        if target.role is Role.WORKLOAD:
            gate, path = _workload_gate(target, obs, ctx)
            findings.extend(gate)
        findings.extend(_node_findings(target.context, obs, ctx.policy))
    findings.extend(_static_findings(target, ctx))
    return _result(target, obs, error, findings, path)


def evaluate_onboarding(target: Target, obs: Observation, ctx: EvaluationContext) -> ClusterResult:
    """Only the target's onboarding range, for every kind, for the ``onboarding`` command."""
    if ctx.target.onboarding is None:
        raise UsageError(f"this policy has no onboarding range for {ctx.target.version}")
    error = _error_of(obs)
    findings: list[Finding] = []
    if error is None and obs.version is not None:
        finding = onboarding_rule(
            target.context, obs.version, ctx.target.onboarding, ctx.target.version
        )
        findings.extend([finding] if finding else [])
    return _result(target, obs, error, findings, ())


def _error_of(obs: Observation) -> ScanError | None:
    if obs.error is None and obs.version is None:
        # Collection should never produce this; treat it as a response without a version.
        return ScanError(ErrorCategory.INVALID_RESPONSE, "no usable version was collected")
    return obs.error


def _static_findings(target: Target, ctx: EvaluationContext) -> list[Finding]:
    """Findings from configuration alone: they hold even when the cluster is unreachable."""
    found = [insecure_tls_rule(target)]
    if target.role is Role.WORKLOAD:
        found.append(kind_unknown_rule(target, ctx.target.rule))
    return [
        *(finding for finding in found if finding is not None),
        *release_note_rules(target, ctx.target),
    ]


def _workload_gate(
    target: Target, obs: Observation, ctx: EvaluationContext
) -> tuple[list[Finding], tuple[str, ...]]:
    """The target's rule (window or latest) and, for third-party clusters, onboarding."""
    assert obs.version is not None
    version, release = obs.version, ctx.target
    findings: list[Finding | None] = []
    path: tuple[str, ...] = ()
    if release.rule == "window":
        gate, path = window_rule(target.context, version, release)
        findings.append(gate)
    elif release.rule == "latest":
        if ctx.from_release is None:
            raise UsageError(f"--from is required for --target {release.version} (rule latest)")
        gate, path = latest_rule(target.context, version, release, ctx.from_release)
        findings.append(gate)
    if target.kind == "third-party" and release.onboarding and ctx.check_onboarding:
        findings.append(
            onboarding_rule(target.context, version, release.onboarding, release.version)
        )
    return [finding for finding in findings if finding is not None], path


def _node_findings(context: str, obs: Observation, policy: Policy) -> list[Finding]:
    if obs.nodes is None:
        # No nodes and no error means --no-nodes: nothing to say.
        return [nodes_unavailable_rule(context, obs.nodes_error)] if obs.nodes_error else []
    assert obs.version is not None
    return [
        *skew_rule(context, obs.version, obs.nodes.kubelet_versions, policy.skew),
        *runtime_rule(context, obs.nodes.container_runtimes, policy.blocked_runtimes),
    ]


def _result(
    target: Target,
    obs: Observation,
    error: ScanError | None,
    findings: Sequence[Finding],
    path: tuple[str, ...],
) -> ClusterResult:
    status = status_of(findings, error)
    return ClusterResult(
        context=target.context,
        name=target.name,
        role=target.role,
        kind=target.kind,
        provider=obs.version.provider if obs.version else "",
        server=target.server,
        status=status,
        version=obs.version,
        nodes=obs.nodes,
        error=error,
        findings=tuple(findings),
        upgrade_path=path if status is Status.BLOCKED else (),
        owner=target.owner,
        notes=target.notes,
        kind_source=target.kind_origin,
    )


def verdict_of(results: Iterable[ClusterResult]) -> Verdict:
    """SPEC 4: NOT_READY on any BLOCKED, else INCOMPLETE on any UNKNOWN, else READY."""
    statuses = [result.status for result in results]
    if Status.BLOCKED in statuses:
        return Verdict.NOT_READY
    if Status.UNKNOWN in statuses or not statuses:
        return Verdict.INCOMPLETE
    return Verdict.READY


def exit_code_for(verdict: Verdict) -> ExitCode:
    return {
        Verdict.READY: ExitCode.READY,
        Verdict.NOT_READY: ExitCode.NOT_READY,
        Verdict.INCOMPLETE: ExitCode.INCOMPLETE,
    }[verdict]


def build_report(
    targets: Sequence[Target],
    observations: Iterable[Observation],
    ctx: EvaluationContext,
    *,
    tool_version: str,
    generated_at: str,
    duration_seconds: float,
    metadata: Mapping[str, Any],
    onboarding: bool = False,
) -> Report:
    """One result per target, in target order, paired with its observation by context.

    ``onboarding=True`` evaluates only the onboarding range (the ``onboarding`` command).
    """
    by_context = {obs.context: obs for obs in observations}
    evaluate = evaluate_onboarding if onboarding else evaluate_cluster
    results = tuple(
        evaluate(target, by_context.get(target.context) or _missing(target), ctx)
        for target in targets
    )
    verdict = verdict_of(results)
    return Report(
        tool_version=tool_version,
        generated_at=generated_at,
        duration_seconds=duration_seconds,
        target=ctx.target.version,
        from_version=ctx.from_release.version if ctx.from_release else None,
        policy=ctx.policy.ref,
        verdict=verdict,
        exit_code=int(exit_code_for(verdict)),
        clusters=results,
        notes=_report_notes(targets, ctx, onboarding),
        metadata=dict(metadata),
    )


def _missing(target: Target) -> Observation:
    if target.problem:
        return Observation(target.context, error=ScanError(ErrorCategory.CONFIG, target.problem))
    message = "not scanned: no result was collected before the scan ended"
    return Observation(target.context, error=ScanError(ErrorCategory.TIMEOUT, message))


def _report_notes(
    targets: Sequence[Target], ctx: EvaluationContext, onboarding: bool
) -> tuple[str, ...]:
    release = ctx.target
    if onboarding:
        return (
            f"Third-party clusters are accepted for onboarding to {release.version} when their "
            f"version is {release.onboarding}; being inside the range is not a promise of full "
            "product validation.",
        )
    notes = []
    if release.rule == "window":
        notes.append(
            f"The {release.version} window applies to every workload cluster whatever its kind."
        )
    elif release.rule == "latest" and ctx.from_release is not None:
        goal = latest_minor(ctx.from_release)
        notes.append(
            f"The {release.version} upgrade rule is 'latest': every workload cluster must be on "
            f"{format_minor(goal) if goal else '(unknown)'}, the latest minor of "
            f"{ctx.from_release.version}."
        )
    if not any(target.role is Role.GLOBAL for target in targets):
        notes.append("No global cluster was selected, so the upgrade path was not checked.")
    elif ctx.from_release is None:
        notes.append("The upgrade path was not verified: pass --from with the current version.")
    return tuple(notes)
