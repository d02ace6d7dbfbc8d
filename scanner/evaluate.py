"""Evaluation (SPEC section 4): ONE pass from what the scan found to the finished report.

:func:`evaluate` takes the targets, their observations, the platform's records, the waivers
and the policy context, and returns the :class:`~scanner.report.Report` with every finding,
every cluster's status, the verdict and the exit code computed once, here. Nothing patches a
report afterwards. The rules are plain functions in :mod:`scanner.rules`; this module decides
which apply to which cluster and owns the status, verdict and exit-code rules.

Decisions:
- A cluster that has an error is ``UNKNOWN``, whatever else is known. Findings that need no
  observation (upgrade path of the global cluster, insecure TLS, kind, release notes) are
  still reported for it, so the report shows them.
- A target without an observation is ``UNKNOWN`` (``config`` when the kubeconfig entry is
  broken, else ``timeout``: the scan ended before it was collected). An observation without
  an error and without a version is ``UNKNOWN``/``invalid_response``.
- No clusters at all is ``INCOMPLETE``: nothing was shown to be ready.
- ``onboarding`` judges only the onboarding range, and its exit code is 0 when every cluster
  is accepted, 1 otherwise (an unknown cluster is not accepted).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scanner.exitcodes import ExitCode
from scanner.inputs.policy import Minor, format_minor, latest_minor
from scanner.inputs.removals import Removals
from scanner.inputs.targets import Target
from scanner.model import (
    ErrorCategory,
    Extension,
    Finding,
    Observation,
    Plan,
    Role,
    ScanError,
    Severity,
    Status,
    UpgradeController,
    Verdict,
    Waiver,
)
from scanner.platform.match import Coverage
from scanner.platform.records import Discovery, PlatformRecord, of_cluster
from scanner.report import (
    SOURCE_KUBECONFIG,
    SOURCE_PROXY,
    SOURCE_RECORD,
    ClusterResult,
    PlatformInfo,
    Report,
)
from scanner.rules.changes import compare
from scanner.rules.cluster import cluster_findings, onboarding_findings, recorded_gate
from scanner.rules.context import (
    EvaluationContext,
    onboarding_context,
    scan_context,
    target_release,
)
from scanner.rules.evidence import with_evidence
from scanner.rules.path import upgrade_path
from scanner.rules.plan import build_plan, plan_to
from scanner.rules.platform import platform_findings
from scanner.rules.waivers import apply_waivers
from scanner.versions import KubeVersion, VersionError, parse_git_version

__all__ = [
    "EvaluationContext",
    "Platform",
    "Run",
    "build_report",
    "evaluate",
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
class Platform:
    """What the global cluster's records add: the discovery itself, which context is which
    record (``coverage``), and the facts the report shows about the platform."""

    info: PlatformInfo
    discovery: Discovery | None = None  # None: discovery was off or not possible
    coverage: Coverage | None = None


@dataclass(frozen=True)
class Run:
    """Facts of the run that are not judged: who, when, how long so far.

    With ``started`` (a ``time.monotonic()`` value) the duration and the evaluation stage are
    measured here, so the report is complete when it is built; without it the duration is
    ``duration_seconds`` as given.
    """

    tool_version: str
    generated_at: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    started: float | None = None
    stages: Mapping[str, float] = field(default_factory=dict)  # seconds of earlier stages
    duration_seconds: float = 0.0


@dataclass(frozen=True)
class _Draft:
    """One cluster before judgement: what it is, what was seen, what the rules found."""

    target: Target
    obs: Observation
    error: ScanError | None
    findings: list[Finding]
    path: tuple[str, ...]
    record: PlatformRecord | None = None
    record_only: bool = False
    discovery: Discovery | None = None
    plan: Plan | None = None
    current_source: str | None = None  # where the current platform version came from


def evaluate(
    targets: Sequence[Target],
    observations: Iterable[Observation],
    ctx: EvaluationContext,
    run: Run,
    *,
    platform: Platform | None = None,
    waivers: Sequence[Waiver] = (),
    today: dt.date | None = None,
    previous: Report | None = None,
    onboarding: bool = False,
    removals: Removals | None = None,
    plan_to: Minor | None = None,
    present: Callable[[Report], Report] | None = None,
) -> Report:
    """The one evaluation pass. One result per target, in target order, paired with its
    observation by context; then the records no kubeconfig context covers.

    With ``removals`` every workload cluster that must move gets an upgrade plan (its
    findings never change its status). With ``plan_to`` (the ``plan`` command) the plan to
    that minor is all that is judged: its findings are the cluster's findings.

    ``present`` is how the report leaves the team (``--redact``): the changes since the
    ``previous`` run (which was saved as it left) are compared on the presented report, so
    both sides read alike."""
    began = time.monotonic()
    by_context = {obs.context: obs for obs in observations}
    drafts = [
        _planned(
            _draft(target, by_context.get(target.context) or seen, ctx, platform, onboarding),
            ctx,
            removals,
            plan_to,
        )
        for target, seen in _all_targets(targets, platform)
    ]
    findings, stale = apply_waivers([d.findings for d in drafts], waivers, today or _today())
    if stale and drafts:
        index = next((i for i, d in enumerate(drafts) if d.target.role is Role.GLOBAL), 0)
        findings[index] = (*findings[index], *stale)
    clusters = tuple(_judge(draft, found) for draft, found in zip(drafts, findings, strict=True))
    verdict = verdict_of(clusters)
    duration, metadata = _timing(run, began)
    report = Report(
        tool_version=run.tool_version,
        generated_at=run.generated_at,
        duration_seconds=duration,
        target=ctx.target.version if plan_to is None else f"kubernetes-{format_minor(plan_to)}",
        from_version=ctx.from_release.version if ctx.from_release else None,
        policy=ctx.policy.ref,
        verdict=verdict,
        exit_code=int(exit_code_for(verdict, onboarding=onboarding)),
        clusters=clusters,
        notes=_report_notes(targets, ctx, onboarding) if plan_to is None else _plan_notes(plan_to),
        metadata=metadata,
        platform=platform.info if platform is not None else None,
    )
    if present is not None:
        report = present(report)
    if previous is not None:
        report = replace(report, changes=compare(previous, report.clusters))
    return report


def _planned(
    draft: _Draft, ctx: EvaluationContext, removals: Removals | None, goal: Minor | None
) -> _Draft:
    """The draft with its upgrade plan, when plans are on and the cluster must move."""
    version = draft.obs.version
    if goal is not None and (version is None or draft.error is not None or removals is None):
        return replace(draft, findings=[], path=())  # the plan command judges plans only
    if removals is None or (version is None and not draft.path):
        return draft
    if goal is not None:
        assert version is not None
        path = plan_to(goal, version)
        plan = (
            build_plan(draft.target.context, draft.obs, path, removals, ctx.policy)
            if path
            else None
        )
        findings = list(plan.findings) if plan else []
        return replace(draft, findings=findings, path=path, plan=plan)
    if draft.target.role is not Role.WORKLOAD or not draft.path:
        return draft
    plan = build_plan(draft.target.context, draft.obs, draft.path, removals, ctx.policy)
    return replace(draft, plan=plan)


def _all_targets(
    targets: Sequence[Target], platform: Platform | None
) -> list[tuple[Target, Observation | None]]:
    """The selected targets (with the kinds the records give), then the clusters known only
    from a record, each with the observation made of its recorded version."""
    coverage = platform.coverage if platform is not None else None
    if coverage is None:
        return [(target, None) for target in targets]
    return [
        *((target, None) for target in coverage.targets),
        *((target, None) for target in coverage.proxied),
        *((missed.target, missed.observation) for missed in coverage.record_only),
    ]


def _draft(
    target: Target,
    seen: Observation | None,
    ctx: EvaluationContext,
    platform: Platform | None,
    onboarding: bool,
) -> _Draft:
    obs = seen or _missing(target)
    error = _error_of(obs)
    judge = onboarding_findings if onboarding else cluster_findings
    findings, path = judge(target, obs, ctx)
    coverage = platform.coverage if platform is not None else None
    source = (
        platform.info.current_version_source
        if platform is not None
        else ("flag" if ctx.from_release else None)
    )
    if platform is None or platform.discovery is None or coverage is None:
        return _Draft(target, obs, error, findings, path, current_source=source)
    record_only = coverage.records_by_context.get(target.context)
    record = (
        record_only
        or coverage.matches.get(target.context)
        or coverage.proxied_records.get(target.context)
    )
    findings.extend(
        platform_findings(
            target.context,
            target.role,
            obs.version,
            record,
            platform.discovery,
            record_only=record_only is not None,
            target_version=ctx.target.version,
        )
    )
    if error is not None and record is not None and record_only is None and not onboarding:
        # SPEC 4: the version the platform records is gated like a live one when the live
        # one could not be read; a blocker known this way outranks the unknown.
        recorded = _parsed(record.version)
        if recorded is not None:
            gate, path = recorded_gate(target, recorded, ctx)
            findings[:0] = gate
    return _Draft(
        target,
        obs,
        error,
        findings,
        path,
        record,
        record_only is not None,
        platform.discovery,
        current_source=source,
    )


def _parsed(version: str | None) -> KubeVersion | None:
    try:
        return parse_git_version(version) if version else None
    except VersionError:
        return None


def _judge(draft: _Draft, found: Sequence[Finding]) -> ClusterResult:
    """The finished cluster result: its status, computed once, from its final findings."""
    target, obs = draft.target, draft.obs
    findings = with_evidence(
        found, record_only=draft.record_only, current_source=draft.current_source
    )
    return ClusterResult(
        context=target.context,
        name=target.name,
        role=target.role,
        kind=target.kind,
        provider=obs.version.provider if obs.version else "",
        server=target.server,
        status=status_of(findings, draft.error),
        version=obs.version,
        nodes=obs.nodes,
        error=draft.error,
        findings=tuple(findings),
        # Only a failed window or latest gate gives a path, and that gate is a blocker.
        upgrade_path=draft.path,
        owner=target.owner,
        notes=target.notes,
        source=_source(draft),
        kind_source=target.kind_origin,
        recorded_version=draft.record.version if draft.record else None,
        upgrade_controller=_controller(draft),
        extensions=_extensions(draft),
        plan=draft.plan,
    )


def _source(draft: _Draft) -> str:
    if draft.record_only:
        return SOURCE_RECORD
    return SOURCE_PROXY if draft.target.source == SOURCE_PROXY else SOURCE_KUBECONFIG


def _controller(draft: _Draft) -> UpgradeController | None:
    if draft.discovery is None:
        return None
    is_global = draft.target.role is Role.GLOBAL
    return of_cluster(draft.discovery.controllers, draft.record, is_global)


def _extensions(draft: _Draft) -> tuple[Extension, ...] | None:
    if draft.discovery is None or draft.discovery.extensions is None:
        return None  # not read
    is_global = draft.target.role is Role.GLOBAL
    return of_cluster(draft.discovery.extensions, draft.record, is_global) or ()


def status_of(findings: Iterable[Finding], error: ScanError | None) -> Status:
    """SPEC 4: BLOCKED on any known blocker, whatever else is unknown; else UNKNOWN if an
    error; else WARN on any warning; else PASS. A waived finding stays in the report but no
    longer counts, so waiving the known blocker of an unscanned cluster leaves it UNKNOWN."""
    severities = {finding.severity for finding in findings if finding.waiver is None}
    if Severity.BLOCKER in severities:
        return Status.BLOCKED
    if error is not None:
        return Status.UNKNOWN
    if Severity.WARNING in severities:
        return Status.WARN
    return Status.PASS


def verdict_of(results: Iterable[ClusterResult]) -> Verdict:
    """SPEC 4: NOT_READY on any BLOCKED, else INCOMPLETE on any UNKNOWN, else READY."""
    statuses = [result.status for result in results]
    if Status.BLOCKED in statuses:
        return Verdict.NOT_READY
    if Status.UNKNOWN in statuses or not statuses:
        return Verdict.INCOMPLETE
    return Verdict.READY


def exit_code_for(verdict: Verdict, *, onboarding: bool = False) -> ExitCode:
    """The exit code of a verdict (SPEC 3); ``onboarding`` exits 0 only when all are accepted."""
    if onboarding:
        return ExitCode.READY if verdict is Verdict.READY else ExitCode.NOT_READY
    return {
        Verdict.READY: ExitCode.READY,
        Verdict.NOT_READY: ExitCode.NOT_READY,
        Verdict.INCOMPLETE: ExitCode.INCOMPLETE,
    }[verdict]


def evaluate_cluster(target: Target, obs: Observation, ctx: EvaluationContext) -> ClusterResult:
    """One cluster on its own (no platform records, no waivers), for ``scan``."""
    findings, path = cluster_findings(target, obs, ctx)
    return _judge(_Draft(target, obs, _error_of(obs), findings, path), findings)


def evaluate_onboarding(target: Target, obs: Observation, ctx: EvaluationContext) -> ClusterResult:
    """One cluster on its own, for the ``onboarding`` command."""
    findings, path = onboarding_findings(target, obs, ctx)
    return _judge(_Draft(target, obs, _error_of(obs), findings, path), findings)


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
    """:func:`evaluate` without platform records, waivers or history, for a fixed duration."""
    run = Run(tool_version, generated_at, metadata, duration_seconds=duration_seconds)
    return evaluate(targets, observations, ctx, run, onboarding=onboarding)


def _error_of(obs: Observation) -> ScanError | None:
    if obs.error is None and obs.version is None:
        # Collection should never produce this; treat it as a response without a version.
        return ScanError(ErrorCategory.INVALID_RESPONSE, "no usable version was collected")
    return obs.error


def _missing(target: Target) -> Observation:
    if target.problem:
        return Observation(target.context, error=ScanError(ErrorCategory.CONFIG, target.problem))
    message = "not scanned: no result was collected before the scan ended"
    return Observation(target.context, error=ScanError(ErrorCategory.TIMEOUT, message))


def _timing(run: Run, began: float) -> tuple[float, dict[str, Any]]:
    """The run's duration and metadata; stage timings make a slow scan explainable from its
    own report (``load``, ``collect``, ``evaluate``, then ``discover``, which ran beside)."""
    if run.started is None:
        return run.duration_seconds, dict(run.metadata)
    finished = time.monotonic()
    stages = {key: value for key, value in run.stages.items() if key != "discover"}
    stages["evaluate"] = round(finished - began, 4)
    stages.update({key: value for key, value in run.stages.items() if key == "discover"})
    return finished - run.started, {**run.metadata, "stages_seconds": stages}


def _plan_notes(goal: Minor) -> tuple[str, ...]:
    return (
        f"Each cluster below Kubernetes {format_minor(goal)} gets its path one minor at a time "
        "and what breaks at each step: removed APIs clients still request, kubelets outside "
        "the skew policy, nodes on Docker, disruption budgets that block drains.",
    )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


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
