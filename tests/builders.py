"""Builders shared by the tests: plain targets, observations, evaluation contexts and runs of
the one evaluation pass, so that evaluation, rules and rendering are tested with plain data
(no network) the same way everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from scanner.evaluate import Mode, PlatformInputs, Run, Scanned, evaluate
from scanner.evaluate.modes import OnboardingMode, UpgradeMode
from scanner.inputs.policy import Policy, load_policy
from scanner.inputs.removals import Removals
from scanner.inputs.targets import Target
from scanner.model import NodeSummary, Observation, Role, ScanError, Waiver
from scanner.report import ClusterResult, Report
from scanner.rules.context import (
    Current,
    EvaluationContext,
    onboarding_context,
    resolve_current,
    scan_context,
    target_release,
)
from scanner.versions import parse_git_version, parse_platform_version

POLICY: Policy = load_policy()
RUN = Run("1.0.0", "2025-01-01T00:00:00Z", {"host": "ci"}, duration_seconds=1.5)


def ctx(
    target: str = "4.3", current: str | None = "4.2", policy: Policy = POLICY
) -> EvaluationContext:
    """The context of an upgrade scan to ``target`` from ``current`` (None: not known)."""
    release = target_release(policy, target)
    version = parse_platform_version(target)
    known = resolve_current(policy, release, current, None, version) if current else Current()
    return scan_context(policy, release, known, version=version)


def onboarding(target: str = "4.3") -> EvaluationContext:
    return onboarding_context(POLICY, target)


def workload(
    context: str = "wl",
    kind: str = "ipi",
    *,
    insecure: bool = False,
    problem: str | None = None,
    server: str = "",
) -> Target:
    return Target(
        context,
        Role.WORKLOAD,
        context.upper(),
        kind=kind,
        server=server,
        insecure_skip_tls_verify=insecure,
        problem=problem,
    )


GLOBAL = Target("global", Role.GLOBAL, "Global", kind="ipi", server="https://global:6443")


def seen(
    context: str,
    git_version: str,
    kubelets: Mapping[str, int] | None = None,
    runtimes: Mapping[str, int] | None = None,
    nodes_error: ScanError | None = None,
) -> Observation:
    """A live observation; node counts when kubelets or runtimes are given."""
    nodes = None
    if kubelets is not None or runtimes is not None:
        count = sum((kubelets or runtimes or {}).values())
        nodes = NodeSummary(count, kubelets or {}, runtimes or {})
    return Observation(
        context, parse_git_version(git_version), nodes=nodes, nodes_error=nodes_error
    )


def judge(
    target: Target, obs: Observation, context: EvaluationContext, *, onboard: bool = False
) -> ClusterResult:
    """One cluster on its own (no platform, no waivers), as ``scan`` or ``onboarding`` judge."""
    mode: Mode = OnboardingMode(context) if onboard else UpgradeMode(context)
    return run(mode, [target], [obs]).clusters[0]


def run(
    mode: Mode,
    targets: Sequence[Target],
    observations: Sequence[Observation],
    *,
    platform: PlatformInputs | None = None,
    waivers: Sequence[Waiver] = (),
    today: dt.date | None = None,
    previous: Report | None = None,
) -> Report:
    """The one evaluation pass with a fixed run (tool 1.0.0, 2025-01-01, 1.5 s)."""
    scanned = Scanned(targets, observations, platform)
    return evaluate(mode, scanned, RUN, waivers=waivers, today=today, previous=previous)


def upgrade(
    targets: Sequence[Target],
    observations: Sequence[Observation],
    context: EvaluationContext | None = None,
    *,
    removals: Removals | None = None,
    platform: PlatformInputs | None = None,
    waivers: Sequence[Waiver] = (),
    today: dt.date | None = None,
) -> Report:
    """An upgrade scan's report of plain data (4.2 -> 4.3 unless ``context`` says)."""
    mode = UpgradeMode(context or ctx(), removals)
    return run(mode, targets, observations, platform=platform, waivers=waivers, today=today)
