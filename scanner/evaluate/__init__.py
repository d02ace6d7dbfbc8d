"""Evaluation (SPEC section 4): ONE pass from what the scan found to the finished report.

:func:`evaluate` takes the run's mode (:mod:`scanner.evaluate.modes`: upgrade, onboarding
or plan-to), what was scanned (targets, observations, the platform's records), the waivers
and the previous run, and returns the :class:`~scanner.report.Report` with every finding,
every cluster's status, the verdict and the exit code computed once, here. The rules are
plain functions in :mod:`scanner.rules`; the mode decides which apply to a cluster.

Decisions:
- A cluster is ``BLOCKED`` when a blocker is known, even when it could not be scanned (the
  error is kept beside it); else ``UNKNOWN`` when it has an error; else ``WARN`` on a
  warning; else ``PASS``. Findings that need no observation (the global cluster's upgrade
  path, insecure TLS, kind, release notes, the version the platform records) are reported
  for a cluster that could not be scanned.
- A target without an observation is ``UNKNOWN`` (``config`` when the kubeconfig entry is
  broken, else ``timeout``: the scan ended before it was collected). An observation without
  an error and without a version is ``UNKNOWN``/``invalid_response``.
- No clusters at all is ``INCOMPLETE``: nothing was shown to be ready.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scanner.evaluate.drafts import PlatformInputs, missing, result_of, status_of
from scanner.evaluate.modes import Mode, OnboardingMode, PlanToMode, UpgradeMode
from scanner.evaluate.roadmap import RoadmapOptions, RunProgress
from scanner.inputs.targets import Target
from scanner.model import Observation, Role, Status, Verdict, Waiver
from scanner.report import ClusterResult, Report
from scanner.rules.changes import compare
from scanner.rules.waivers import apply_waivers

__all__ = [
    "Mode",
    "OnboardingMode",
    "PlanToMode",
    "PlatformInputs",
    "RoadmapOptions",
    "Run",
    "RunProgress",
    "Scanned",
    "UpgradeMode",
    "evaluate",
    "status_of",
    "verdict_of",
]


@dataclass(frozen=True)
class Scanned:
    """What the scan found: the selected targets, their observations (by context) and the
    platform's records (None: a run without platform discovery)."""

    targets: Sequence[Target]
    observations: Iterable[Observation] = ()
    platform: PlatformInputs | None = None


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


def evaluate(
    mode: Mode,
    scanned: Scanned,
    run: Run,
    *,
    waivers: Sequence[Waiver] = (),
    today: dt.date | None = None,
    previous: Report | None = None,
    present: Callable[[Report], Report] | None = None,
    history: Sequence[RunProgress] = (),
) -> Report:
    """The one evaluation pass. One result per target, in target order, paired with its
    observation by context; then the records no kubeconfig context covers.

    ``present`` is how the report leaves the team (``--redact``): the changes since the
    ``previous`` run (which was saved as it left) are compared on the presented report, so
    both sides read alike."""
    began = time.monotonic()
    by_context = {obs.context: obs for obs in scanned.observations}
    platform = scanned.platform
    drafts = [
        mode.judge(target, by_context.get(target.context) or seen or missing(target), platform)
        for target, seen in _all_targets(scanned.targets, platform)
    ]
    findings, stale = apply_waivers([d.findings for d in drafts], waivers, today or _today())
    if stale and drafts:
        index = next((i for i, d in enumerate(drafts) if d.target.role is Role.GLOBAL), 0)
        findings[index] = (*findings[index], *stale)
    clusters = tuple(result_of(draft, found) for draft, found in zip(drafts, findings, strict=True))
    verdict = verdict_of(clusters)
    duration, metadata = _timing(run, began)
    ctx = mode.ctx
    section = platform.section if platform is not None else None
    if section is not None:
        read = [d.obs.resource_patches for d in drafts if d.obs.resource_patches is not None]
        section = replace(section, resource_patches=sum(map(len, read)) if read else None)
    report = Report(
        tool_version=run.tool_version,
        generated_at=run.generated_at,
        duration_seconds=duration,
        target=mode.label,
        from_version=ctx.from_text,
        policy=ctx.policy.ref,
        verdict=verdict,
        exit_code=int(mode.exit_code(verdict)),
        clusters=clusters,
        notes=mode.notes(scanned.targets),
        metadata=metadata,
        platform=section,
        manual_checks=mode.manual_checks(drafts, platform),
    )
    report = replace(report, roadmap=mode.roadmap(report, history))
    if present is not None:
        report = present(report)
    if previous is not None:
        report = replace(report, changes=compare(previous, report))
    return report


def _all_targets(
    targets: Sequence[Target], platform: PlatformInputs | None
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


def verdict_of(results: Iterable[ClusterResult]) -> Verdict:
    """SPEC 4: NOT_READY on any BLOCKED, else INCOMPLETE on any UNKNOWN, else READY."""
    statuses = [result.status for result in results]
    if Status.BLOCKED in statuses:
        return Verdict.NOT_READY
    if Status.UNKNOWN in statuses or not statuses:
        return Verdict.INCOMPLETE
    return Verdict.READY


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


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
