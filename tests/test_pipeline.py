"""The pipeline's orchestration with plain data: a collector and a discoverer given to it
(no network), so what is asked, in which order and with which current version is checked
directly. Cluster traffic itself is tested against the simulated fleet elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scanner.collect import Asks, Progress
from scanner.errors import UsageError
from scanner.inputs.selection import Selection
from scanner.inputs.targets import Target
from scanner.model import CurrentSource, Observation, Status, Verdict
from scanner.pipeline import Onboarding, Pipeline, PlanTo, RunRequest, Upgrade
from scanner.platform.clusters import ClusterRecord
from scanner.platform.discovery import Discovery
from scanner.report import Report
from scanner.versions import parse_git_version
from tests.kubeconfig_helpers import simple_kubeconfig

VERSIONS = {"global": "v1.33.7-4", "ok": "v1.33.2", "old": "v1.30.4"}


@dataclass
class FakeCollect:
    """Answers from a table; records every call (targets, whether a plan goal was given)."""

    versions: dict[str, str]
    calls: list[tuple[list[str], Asks]] = field(default_factory=list)
    log: list[str] | None = None

    def __call__(
        self,
        targets: Sequence[Target],
        asks: Asks | None = None,
        progress: Progress | None = None,
    ) -> list[Observation]:
        self.calls.append(([t.context for t in targets], asks or Asks()))
        if self.log is not None:
            self.log.append("collect")
        return [
            Observation(t.context, parse_git_version(self.versions[t.context])) for t in targets
        ]


@dataclass
class FakeDiscover:
    found: Discovery
    started: list[str] = field(default_factory=list)
    log: list[str] | None = None

    def start(self, target: Target) -> FakeDiscover:
        self.started.append(target.context)
        return self

    def result(self) -> Discovery:
        if self.log is not None:
            self.log.append("discovery")
        return self.found


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    return simple_kubeconfig(tmp_path / "kc.yaml", ["global", "ok", "old"], current="global")


def request(kubeconfig: Path, kind: Upgrade | Onboarding | PlanTo, **more: object) -> RunRequest:
    selection = Selection(kubeconfigs=(str(kubeconfig),))
    return RunRequest(kind=kind, selection=selection, **more)  # type: ignore[arg-type]


def test_an_upgrade_collects_once_with_discovery_beside(kubeconfig: Path) -> None:
    collect = FakeCollect(VERSIONS)
    discover = FakeDiscover(Discovery(current_version="v4.2.3", read=frozenset({"x"})))
    report = Pipeline(collect, discover).run(request(kubeconfig, Upgrade("4.3", "4.2")))
    assert collect.calls[0][0] == ["global", "ok", "old"] and len(collect.calls) == 1
    assert discover.started == ["global"]
    assert (report.target, report.from_version, report.verdict) == ("4.3", "4.2", "NOT_READY")
    assert report.platform is not None
    assert report.platform.current_version_source is CurrentSource.FLAG
    asks = collect.calls[0][1]
    goal = asks.plan_goal
    assert goal is not None  # plans on: only clusters that must move are asked the plan reads
    assert goal(parse_git_version("v1.30.4")) and not goal(parse_git_version("v1.33.2"))
    assert asks.patches  # every cluster is asked for its own resource patches


def test_no_plan_asks_no_plan_reads(kubeconfig: Path) -> None:
    collect = FakeCollect(VERSIONS)
    report = Pipeline(collect).run(request(kubeconfig, Upgrade("4.3", "4.2", plans=False)))
    assert collect.calls[0][1].plan_goal is None
    assert all(c.plan is None for c in report.clusters)


def test_a_latest_target_waits_for_the_current_version_before_collecting(
    kubeconfig: Path,
) -> None:
    log: list[str] = []
    collect = FakeCollect(VERSIONS, log=log)
    discover = FakeDiscover(Discovery(current_version="v4.1.0", read=frozenset({"x"})), log=log)
    report = Pipeline(collect, discover).run(request(kubeconfig, Upgrade("4.2")))
    assert log[:2] == ["discovery", "collect"]
    assert report.from_version == "4.1.0"
    assert report.platform is not None
    assert report.platform.current_version_source is CurrentSource.GLOBAL_CLUSTER


def test_a_latest_target_without_a_current_version_collects_nothing(kubeconfig: Path) -> None:
    collect = FakeCollect(VERSIONS)
    discover = FakeDiscover(Discovery(notes=("clusterversionshadows...: not found",)))
    with pytest.raises(UsageError, match=r"--from is required for --target 4\.2.*did not report"):
        Pipeline(collect, discover).run(request(kubeconfig, Upgrade("4.2")))
    assert collect.calls == []


def test_discovery_off_starts_none_and_says_so(kubeconfig: Path) -> None:
    discover = FakeDiscover(Discovery())
    kind = Upgrade("4.3", discovery=False)
    collect = FakeCollect(VERSIONS)
    report = Pipeline(collect, discover).run(request(kubeconfig, kind))
    assert discover.started == [] and not collect.calls[0][1].patches
    assert report.platform is not None
    assert report.platform.notes == ("platform discovery turned off (--no-discovery)",)


def test_recorded_clusters_without_a_context_are_reported_from_their_record(
    kubeconfig: Path,
) -> None:
    records = (ClusterRecord("global"), ClusterRecord("far", version="v1.29.1"))
    found = Discovery(records=records, read=frozenset({"platform-clusters"}))
    report = Pipeline(FakeCollect(VERSIONS), FakeDiscover(found)).run(
        request(kubeconfig, Upgrade("4.3", "4.2"))
    )
    far = next(c for c in report.clusters if c.context == "far")
    assert far.status is Status.BLOCKED and far.access == "platform-record"
    evidence = {f.rule: f.evidence for f in far.findings}
    assert evidence == {"window": "record", "not-scanned": "record", "kind-unknown": "config"}
    window = next(f for f in far.findings if f.rule == "window")
    assert window.message.endswith("(the platform's record: not scanned live)")


def test_onboarding_is_the_same_pipeline_with_its_own_exit_codes(kubeconfig: Path) -> None:
    discover = FakeDiscover(Discovery())
    inside = Pipeline(FakeCollect(VERSIONS), discover).run(request(kubeconfig, Onboarding("4.3")))
    assert discover.started == []  # onboarding reads no platform records
    assert (inside.verdict, inside.exit_code) == (Verdict.READY, 0)
    collect = FakeCollect({**VERSIONS, "old": "v1.36.0"})
    outside = Pipeline(collect).run(request(kubeconfig, Onboarding("4.3")))
    # every context, no plan reads, no platform reads
    assert collect.calls[0] == (["global", "ok", "old"], Asks())
    assert (outside.verdict, outside.exit_code) == (Verdict.NOT_READY, 1)
    assert [c.status for c in outside.clusters][-1] is Status.BLOCKED


def test_plan_to_labels_its_target_and_asks_for_plans_below_it(kubeconfig: Path) -> None:
    collect = FakeCollect(VERSIONS)
    report = Pipeline(collect).run(request(kubeconfig, PlanTo((1, 34))))
    assert report.target == "kubernetes-1.34"
    assert report.metadata["plan_to"] == "1.34"
    goal = collect.calls[0][1].plan_goal
    assert goal is not None and goal(parse_git_version("v1.33.9"))
    assert not goal(parse_git_version("v1.34.0"))
    moving = [c.context for c in report.clusters if c.plan is not None]
    assert moving == ["global", "ok", "old"]


def test_changes_are_compared_on_the_presented_report(kubeconfig: Path) -> None:
    """With a ``present`` step (``--redact``) the previous run, saved as presented, is compared
    with the presented report, so the two read alike."""
    first = Pipeline(FakeCollect(VERSIONS)).run(request(kubeconfig, Upgrade("4.3", "4.2")))

    def rename(report: Report) -> Report:
        from dataclasses import replace

        return replace(
            report, clusters=tuple(replace(c, context=c.context.upper()) for c in report.clusters)
        )

    saved = rename(first)
    again = Pipeline(FakeCollect(VERSIONS)).run(
        request(kubeconfig, Upgrade("4.3", "4.2"), previous=lambda: saved, present=rename)
    )
    assert again.changes is not None and again.changes.empty
    assert [c.context for c in again.clusters] == ["GLOBAL", "OK", "OLD"]
