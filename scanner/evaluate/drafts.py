"""One cluster on its way to a result: what it is, what was seen, what the rules found
(:class:`Draft`), then the finished :class:`~scanner.report.ClusterResult` with its status
computed once (:func:`result_of`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from scanner.inputs.targets import Target
from scanner.model import (
    Access,
    ErrorCategory,
    Extension,
    Finding,
    Observation,
    Role,
    ScanError,
    Severity,
    Status,
    UpgradeController,
    UpgradePlan,
)
from scanner.platform.clusters import ClusterRecord
from scanner.platform.discovery import Discovery, of_cluster
from scanner.platform.match import Coverage
from scanner.report import ClusterResult, PlatformSection
from scanner.rules.cluster import recorded_gate
from scanner.rules.context import EvaluationContext
from scanner.rules.platform import platform_findings
from scanner.versions import KubeVersion, VersionError, parse_git_version


@dataclass(frozen=True)
class PlatformInputs:
    """What the global cluster's records add to a run: the discovery itself (None: discovery
    was off or not possible), which context is which record (``coverage``), and the
    platform section of the report."""

    section: PlatformSection
    discovery: Discovery | None = None
    coverage: Coverage | None = None


@dataclass(frozen=True)
class Draft:
    """One cluster before judgement: what it is, what was seen, what the rules found."""

    target: Target
    obs: Observation
    error: ScanError | None
    findings: list[Finding]
    path: tuple[str, ...]
    record: ClusterRecord | None = None
    record_only: bool = False
    discovery: Discovery | None = None
    plan: UpgradePlan | None = None

    def with_plan(self, plan: UpgradePlan | None) -> Draft:
        return replace(self, plan=plan)


def platform_draft(
    target: Target,
    obs: Observation,
    findings: list[Finding],
    path: tuple[str, ...],
    ctx: EvaluationContext,
    platform: PlatformInputs | None,
) -> Draft:
    """The draft with what the platform's records add: the record's own findings and, for a
    cluster that could not be read, the gate on the version the platform records (SPEC 4: a
    blocker known this way outranks the unknown)."""
    error = error_of(obs)
    discovery = platform.discovery if platform is not None else None
    coverage = platform.coverage if platform is not None else None
    if discovery is None or coverage is None:
        return Draft(target, obs, error, findings, path)
    record, record_only = coverage.record_of(target.context)
    findings = [
        *findings,
        *platform_findings(
            target.context,
            target.role,
            obs.version,
            record,
            discovery,
            ctx,
            record_only=record_only,
        ),
    ]
    if error is not None and record is not None and not record_only:
        recorded = _parsed(record.version)
        if recorded is not None:
            gate, path = recorded_gate(target, recorded, ctx)
            findings[:0] = gate
    return Draft(target, obs, error, findings, path, record, record_only, discovery)


def _parsed(version: str | None) -> KubeVersion | None:
    try:
        return parse_git_version(version) if version else None
    except VersionError:
        return None


def result_of(draft: Draft, findings: Sequence[Finding]) -> ClusterResult:
    """The finished cluster result: its status, computed once, from its final findings."""
    target, obs = draft.target, draft.obs
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
        access=Access.PLATFORM_RECORD if draft.record_only else target.access,
        kind_source=target.kind_source,
        recorded_version=draft.record.version if draft.record else None,
        upgrade_controller=_controller(draft),
        extensions=_extensions(draft),
        plan=draft.plan,
        resource_patches=obs.resource_patches,
        platform_version=_platform_version(draft),
        wave=target.wave,
    )


def _controller(draft: Draft) -> UpgradeController | None:
    if draft.discovery is None:
        return None
    is_global = draft.target.role is Role.GLOBAL
    return of_cluster(draft.discovery.controllers, draft.record, is_global)


def _platform_version(draft: Draft) -> str | None:
    """The cluster module's ``spec.version``: the cluster's platform version (evidence)."""
    if draft.discovery is None:
        return None
    is_global = draft.target.role is Role.GLOBAL
    module = of_cluster(draft.discovery.cluster_modules, draft.record, is_global)
    return module.version or None if module is not None else None


def _extensions(draft: Draft) -> tuple[Extension, ...] | None:
    if draft.discovery is None or draft.discovery.extensions is None:
        return None  # not read
    is_global = draft.target.role is Role.GLOBAL
    return of_cluster(draft.discovery.extensions, draft.record, is_global) or ()


def status_of(findings: Iterable[Finding], error: ScanError | None) -> Status:
    """SPEC 4: BLOCKED on any known blocker, whatever else is unknown; else UNKNOWN if an
    error; else WARN on any warning; else PASS. A waived finding stays in the report but no
    longer counts, so waiving the known blocker of an unscanned cluster leaves it UNKNOWN."""
    severities = {found.severity for found in findings if found.waiver is None}
    if Severity.BLOCKER in severities:
        return Status.BLOCKED
    if error is not None:
        return Status.UNKNOWN
    if Severity.WARNING in severities:
        return Status.WARN
    return Status.PASS


def error_of(obs: Observation) -> ScanError | None:
    if obs.error is None and obs.version is None:
        # Collection should never produce this; treat it as a response without a version.
        return ScanError(ErrorCategory.INVALID_RESPONSE, "no usable version was collected")
    return obs.error


def missing(target: Target) -> Observation:
    """The observation of a target collection did not answer for."""
    if target.problem:
        return Observation(target.context, error=ScanError(ErrorCategory.CONFIG, target.problem))
    message = "not scanned: no result was collected before the scan ended"
    return Observation(target.context, error=ScanError(ErrorCategory.TIMEOUT, message))
