"""What kind of run it is: an upgrade scan, an onboarding check, or a plan to a Kubernetes
minor. A mode owns what differs between them: how one cluster is judged, the report's target
label and notes, the exit code of a verdict, and the run facts it adds; everything else is
the one evaluation pass (:func:`scanner.evaluate.evaluate`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from scanner.evaluate.checklist import manual_checks
from scanner.evaluate.drafts import Draft, PlatformInputs, error_of, platform_draft
from scanner.evaluate.roadmap import RoadmapOptions, RunProgress, fleet_roadmap
from scanner.exitcodes import ExitCode
from scanner.inputs.policy import Minor, format_minor, latest_minor
from scanner.inputs.removals import Removals
from scanner.inputs.targets import Target
from scanner.model import ManualCheck, Observation, Roadmap, Role, Verdict
from scanner.report import Report
from scanner.rules.cluster import cluster_findings, onboarding_findings
from scanner.rules.context import EvaluationContext
from scanner.rules.gate import resource_patch_rules
from scanner.rules.plan import build_plan, plan_to

STANDARD_EXIT = {
    Verdict.READY: ExitCode.READY,
    Verdict.NOT_READY: ExitCode.NOT_READY,
    Verdict.INCOMPLETE: ExitCode.INCOMPLETE,
}


class Mode(Protocol):
    """One kind of run."""

    @property
    def ctx(self) -> EvaluationContext:
        """What every cluster is judged against."""

    @property
    def label(self) -> str:
        """The report's ``target``."""

    def judge(self, target: Target, obs: Observation, platform: PlatformInputs | None) -> Draft:
        """One cluster's findings, upgrade path and plan, before waivers."""

    def exit_code(self, verdict: Verdict) -> ExitCode: ...

    def notes(self, targets: Sequence[Target]) -> tuple[str, ...]: ...

    def metadata(self) -> dict[str, Any]:
        """Run facts of this mode (the rule, the window the HTML chart shades)."""

    def manual_checks(
        self, drafts: Sequence[Draft], platform: PlatformInputs | None
    ) -> tuple[ManualCheck, ...]:
        """What the procedure requires and no API shows (upgrades only)."""

    def roadmap(self, report: Report, history: Sequence[RunProgress]) -> Roadmap | None:
        """The fleet's roadmap (upgrades with plans only)."""


def _window(ctx: EvaluationContext) -> dict[str, Any]:
    return {
        "window": [format_minor(m) for m in sorted(ctx.target.compatible_minors)],
        "rule": ctx.target.rule,
    }


@dataclass(frozen=True)
class UpgradeMode:
    """``scan``: the target's rule, the platform's gate, and upgrade plans for the clusters
    that must move (``removals`` None: ``--no-plan``)."""

    ctx: EvaluationContext
    removals: Removals | None = None
    roadmap_options: RoadmapOptions = field(default_factory=RoadmapOptions)

    @property
    def label(self) -> str:
        return self.ctx.target_text

    def judge(self, target: Target, obs: Observation, platform: PlatformInputs | None) -> Draft:
        findings, path = cluster_findings(target, obs, self.ctx)
        draft = platform_draft(target, obs, findings, path, self.ctx, platform)
        if obs.resource_patches:
            draft.findings.extend(resource_patch_rules(target, obs.resource_patches, self.ctx))
        if self.removals is None or target.role is not Role.WORKLOAD or not draft.path:
            return draft
        # A cluster that could not be read gets its plan from the recorded version's path,
        # with a note that its plan reads were not made.
        plan = build_plan(
            target.context, draft.obs, draft.path, self.removals, self.ctx.policy, self.ctx.now
        )
        return draft.with_plan(plan)

    def exit_code(self, verdict: Verdict) -> ExitCode:
        return STANDARD_EXIT[verdict]

    def notes(self, targets: Sequence[Target]) -> tuple[str, ...]:
        release, current = self.ctx.target, self.ctx.from_release
        notes = []
        if release.rule == "window":
            notes.append(
                f"The {release.version} window applies to every workload cluster whatever its kind."
            )
        elif release.rule == "latest" and current is not None:
            goal = latest_minor(current)
            notes.append(
                f"The {release.version} upgrade rule is 'latest': every workload cluster must "
                f"be on {format_minor(goal) if goal else '(unknown)'}, the latest minor of "
                f"{current.version}."
            )
        if not any(target.role is Role.GLOBAL for target in targets):
            notes.append("No global cluster was selected, so the upgrade path was not checked.")
        elif current is None:
            notes.append("The upgrade path was not verified: pass --from with the current version.")
        return tuple(notes)

    def metadata(self) -> dict[str, Any]:
        return _window(self.ctx)

    def manual_checks(
        self, drafts: Sequence[Draft], platform: PlatformInputs | None
    ) -> tuple[ManualCheck, ...]:
        return manual_checks(self.ctx, drafts, platform)

    def roadmap(self, report: Report, history: Sequence[RunProgress]) -> Roadmap | None:
        if self.removals is None:  # --no-plan: no plans, so no roadmap
            return None
        return fleet_roadmap(
            self.ctx,
            report.clusters,
            report.manual_checks,
            report.platform,
            self.roadmap_options,
            report.generated_at,
            history,
        )


class _NoProcedure:
    """A run that is not an upgrade: no manual checklist, no roadmap."""

    def manual_checks(
        self, drafts: Sequence[Draft], platform: PlatformInputs | None
    ) -> tuple[ManualCheck, ...]:
        return ()

    def roadmap(self, report: Report, history: Sequence[RunProgress]) -> Roadmap | None:
        return None


@dataclass(frozen=True)
class OnboardingMode(_NoProcedure):
    """``onboarding``: only the target's onboarding range, for every selected context whatever
    its kind; exit 0 only when every cluster is accepted (an unknown one is not)."""

    ctx: EvaluationContext

    @property
    def label(self) -> str:
        return self.ctx.target_text

    def judge(self, target: Target, obs: Observation, platform: PlatformInputs | None) -> Draft:
        findings, path = onboarding_findings(target, obs, self.ctx)
        return Draft(target, obs, error_of(obs), findings, path)

    def exit_code(self, verdict: Verdict) -> ExitCode:
        return ExitCode.READY if verdict is Verdict.READY else ExitCode.NOT_READY

    def notes(self, targets: Sequence[Target]) -> tuple[str, ...]:
        release = self.ctx.target
        return (
            f"Third-party clusters are accepted for onboarding to {release.version} when their "
            f"version is {release.onboarding}; being inside the range is not a promise of full "
            "product validation.",
        )

    def metadata(self) -> dict[str, Any]:
        return _window(self.ctx)


@dataclass(frozen=True)
class PlanToMode(_NoProcedure):
    """``plan --to MINOR``: every cluster below the minor gets its plan to it, and the plan
    is all that is judged (no window, no platform gate): BLOCKED when something breaks on the
    way, WARN on a warning, PASS when nothing does or it is there already."""

    ctx: EvaluationContext
    goal: Minor
    removals: Removals

    @property
    def label(self) -> str:
        return f"kubernetes-{format_minor(self.goal)}"

    def judge(self, target: Target, obs: Observation, platform: PlatformInputs | None) -> Draft:
        error = error_of(obs)
        if obs.version is None or error is not None:
            return Draft(target, obs, error, [], ())
        path = plan_to(self.goal, obs.version)
        if not path:
            return Draft(target, obs, error, [], ())
        plan = build_plan(target.context, obs, path, self.removals, self.ctx.policy)
        return Draft(target, obs, error, list(plan.findings), path, plan=plan)

    def exit_code(self, verdict: Verdict) -> ExitCode:
        return STANDARD_EXIT[verdict]

    def notes(self, targets: Sequence[Target]) -> tuple[str, ...]:
        return (
            f"Each cluster below Kubernetes {format_minor(self.goal)} gets its path one minor "
            "at a time and what breaks at each step: removed APIs clients still request, "
            "kubelets outside the skew policy, nodes on Docker, disruption budgets that block "
            "drains.",
        )

    def metadata(self) -> dict[str, Any]:
        return {"rule": "plan", "window": [], "plan_to": format_minor(self.goal)}


__all__ = ["STANDARD_EXIT", "Mode", "OnboardingMode", "PlanToMode", "UpgradeMode"]
