"""The fleet's roadmap for an upgrade run: its inputs taken from the judged clusters (their
minors, waves and plan blockers; the platform's blockers, gates and manual checks for the
hop), and, with the runs an ``--output-dir`` keeps, the burn-down and the stalled clusters.
The windows themselves are :mod:`scanner.rules.roadmap`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from scanner import defaults
from scanner.inputs.policy import Minor
from scanner.model import ManualCheck, ProgressPoint, Roadmap, Role, Severity
from scanner.report import ClusterResult, PlatformSection
from scanner.rules.context import EvaluationContext
from scanner.rules.gate import gates_for
from scanner.rules.roadmap import Hop, Mover, Settings, build_roadmap
from scanner.versions import VersionError, parse_git_version, parse_minor

# Blockers the Kubernetes steps of the roadmap resolve; every other blocker holds the hop.
RESOLVED_BY_STEPS = frozenset({"window", "latest", "upgrade-path"})
# Plan findings that keep a step from being done (the drain blocker only warns, but a drain
# that hangs stops the step all the same).
STEP_BLOCKERS = frozenset({"removed-api", "path-skew", "path-runtime", "drain-blocker"})
DEFAULT_STALL_RUNS = defaults.STALL_RUNS


@dataclass(frozen=True)
class RoadmapOptions:
    settings: Settings = field(default_factory=Settings)
    stall_runs: int = DEFAULT_STALL_RUNS


@dataclass(frozen=True)
class RunProgress:
    """One earlier run of the output directory: its fleet figures, and each cluster's
    minors still to climb (for stall detection)."""

    point: ProgressPoint
    remaining: Mapping[str, int] = field(default_factory=dict)


def fleet_roadmap(
    ctx: EvaluationContext,
    clusters: Sequence[ClusterResult],
    checks: Sequence[ManualCheck],
    section: PlatformSection | None,
    options: RoadmapOptions,
    generated_at: str,
    history: Sequence[RunProgress] = (),
) -> Roadmap | None:
    """The roadmap from the current release to the target; None when the current release
    is not known (a report note says so)."""
    current = ctx.from_release
    if current is None:
        return None
    movers = [_mover(c) for c in clusters if c.role is Role.WORKLOAD]
    roadmap = build_roadmap(
        ctx.policy,
        current,
        ctx.target,
        movers,
        _hop(ctx, clusters, checks, section),
        options.settings,
        current_text=ctx.from_text,
        target_text=ctx.target_text,
    )
    summary_must_move = sum(1 for c in clusters if c.plan is not None)
    summary_blockers = sum(c.plan.blockers for c in clusters if c.plan is not None)
    now = ProgressPoint(
        generated_at=generated_at,
        must_move=summary_must_move,
        plan_blockers=summary_blockers,
        windows=roadmap.total_windows,
        remaining_steps=roadmap.remaining_steps,
    )
    return replace(
        roadmap,
        history=(*(run.point for run in history), now),
        stalled=stalled(history, roadmap.remaining, options.stall_runs),
    )


def stalled(
    history: Sequence[RunProgress], remaining: Mapping[str, int], runs: int
) -> tuple[str, ...]:
    """Clusters whose minors still to climb did not change over the last ``runs`` runs
    (this one included) while the fleet's did: a warning in the roadmap, never a status."""
    if runs < 2 or len(history) < runs - 1:
        return ()
    window = [*(run.remaining for run in history[-(runs - 1) :]), remaining]
    totals = [sum(r.values()) for r in window]
    if totals[0] == totals[-1]:
        return ()  # nothing moved anywhere: that is a pause, not one cluster stalling
    return tuple(
        sorted(
            context
            for context, steps in remaining.items()
            if steps > 0 and all(r.get(context) == steps for r in window)
        )
    )


def _mover(cluster: ClusterResult) -> Mover:
    minor: Minor | None = cluster.version.minor_key if cluster.version else None
    if minor is None and cluster.recorded_version:
        try:
            minor = parse_git_version(cluster.recorded_version).minor_key
        except VersionError:
            minor = None
    blockers: dict[Minor, tuple[str, ...]] = {}
    for step in cluster.plan.steps if cluster.plan else ():
        ids = tuple(
            f.id
            for f in step.findings
            if f.waiver is None and (f.severity is Severity.BLOCKER or f.rule in STEP_BLOCKERS)
        )
        if ids:
            try:
                blockers[parse_minor(step.to)] = ids
            except VersionError:
                continue
    why = f"its version is not known ({cluster.error.category.value})" if cluster.error else ""
    return Mover(
        cluster.context,
        minor,
        cluster.wave,
        blockers,
        why_unknown=why or "its version is not known",
    )


def _hop(
    ctx: EvaluationContext,
    clusters: Sequence[ClusterResult],
    checks: Sequence[ManualCheck],
    section: PlatformSection | None,
) -> Hop:
    own = next((c.context for c in clusters if c.role is Role.GLOBAL), "global")
    blocked = tuple(
        f.id
        for c in clusters
        for f in c.findings
        if f.severity is Severity.BLOCKER and f.waiver is None and f.rule not in RESOLVED_BY_STEPS
    )
    gates = gates_for(section.gates or (), ctx.target.version) if section is not None else ()
    requires = [
        f"acknowledge admin gate {gate.key}"
        for gate in gates
        if gate.applies and not gate.acknowledged
    ]
    requires.extend(f"manual check {check.id}" for check in checks)
    return Hop(own, blocked, tuple(requires))
