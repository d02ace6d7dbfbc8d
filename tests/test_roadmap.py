"""The fleet's upgrade roadmap (issue 21): the route (through an intermediate release when
the target needs one), the maintenance windows (steps per window, parallel clusters, waves,
blocked actions, the critical path), the playbook in every format, the burn-down and stall
detection over a generated history of runs, the metrics, ``diff``, and the ``roadmap``
command against the simulated fleet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from scanner.evaluate.roadmap import RunProgress, stalled
from scanner.inputs.policy import load_policy
from scanner.model import PLATFORM, ProgressPoint
from scanner.rules.roadmap import Hop, Mover, Settings, build_roadmap
from simfleet import ClusterSpec, Fleet, NodeSpec
from simfleet.platform import PlatformCluster, PlatformSpec
from tests.conftest import validate_report

POLICY = load_policy()


def roadmap(
    current: str, target: str, movers: list[Mover], settings: Settings | None = None, **kw: Any
) -> Any:
    return build_roadmap(
        POLICY,
        POLICY.releases[current],
        POLICY.releases[target],
        movers,
        kw.pop("hop", Hop("global")),
        settings or Settings(),
        **kw,
    )


def actions(result: Any) -> list[list[tuple[str, str, str]]]:
    return [[(a.cluster, a.from_version, a.to) for a in w.actions] for w in result.windows]


# -- the route and the windows --------------------------------------------------------------


def test_a_direct_upgrade_steps_one_minor_per_window_then_the_hop() -> None:
    result = roadmap("4.2", "4.3", [Mover("a", (1, 29)), Mover("b", (1, 30)), Mover("c", (1, 33))])
    assert result.route == ("4.2", "4.3")
    assert actions(result) == [
        [("a", "1.29", "1.30"), ("b", "1.30", "1.31")],
        [("a", "1.30", "1.31")],
        [("global", "4.2", "4.3")],
    ]
    assert result.total_windows == 3 and result.critical_path == ("a",)
    assert result.remaining == {"a": 2, "b": 1}  # c is in the window already: it never moves
    assert result.route_reason == "a direct upgrade: 3 windows"


def test_a_route_through_an_intermediate_release_with_the_fewest_windows() -> None:
    # From 3.16 a 4.3 target is not a supported hop: 4.0 first (latest rule: 3.16's newest
    # minor, 1.28), then 4.3 (window 1.31-1.34).
    result = roadmap("3.16", "4.3", [Mover("a", (1, 26)), Mover("b", (1, 28))])
    assert result.route == ("3.16", "4.0", "4.3")
    assert actions(result) == [
        [("a", "1.26", "1.27")],
        [("a", "1.27", "1.28")],
        [("global", "3.16", "4.0")],
        [("a", "1.28", "1.29"), ("b", "1.28", "1.29")],
        [("a", "1.29", "1.30"), ("b", "1.29", "1.30")],
        [("a", "1.30", "1.31"), ("b", "1.30", "1.31")],
        [("global", "4.0", "4.3")],
    ]
    assert result.route_reason.startswith("the fewest windows (7) of 4 supported routes;")
    assert "3.16 -> 4.0 -> 4.1 -> 4.3 would take 8" in result.route_reason
    hops = [w for w in result.windows if w.actions[0].kind == PLATFORM]
    assert [h.hop for h in hops] == ["3.16 -> 4.0", "4.0 -> 4.3"]
    assert hops[1].actions[0].requires == ("re-run the scan before this hop",)


def test_steps_per_window_and_max_parallel() -> None:
    movers = [Mover(f"c{i}", (1, 28)) for i in range(5)]
    result = roadmap("4.2", "4.3", movers, Settings(steps_per_window=2, max_parallel=2))
    # Each cluster needs two windows (1.28 -> 1.30, then 1.31): ten, two at a time, then the hop.
    assert [len(w.actions) for w in result.windows] == [2, 2, 2, 2, 2, 1]
    first = result.windows[0].actions[0]
    assert (first.from_version, first.to) == ("1.28", "1.30")
    assert result.total_windows == 6
    # Every cluster climbs three minors: 5 x 3 steps in windows of at most 2 clusters x 2.
    assert sum(result.remaining.values()) == 15


def test_waves_reach_each_minor_in_order() -> None:
    movers = [Mover("late", (1, 29), wave=2), Mover("canary", (1, 29), wave=1)]
    result = roadmap("4.2", "4.3", movers)
    assert actions(result) == [
        [("canary", "1.29", "1.30")],
        [("late", "1.29", "1.30"), ("canary", "1.30", "1.31")],
        [("late", "1.30", "1.31")],
        [("global", "4.2", "4.3")],
    ]
    assert result.windows[1].actions[0].wave == 2


def test_a_blocked_step_keeps_its_action_and_names_the_finding() -> None:
    mover = Mover("old", (1, 23), blockers={(1, 24): ("path-runtime/old",), (1, 25): ("x/y",)})
    hop = Hop("g", blocked_by=("admin-gate/ack-4.3-x",), requires=("manual check minio",))
    result = roadmap("4.2", "4.3", [mover], Settings(steps_per_window=3), hop=hop)
    first, second, _third, platform = result.windows
    assert first.actions[0].blocked_by == ("path-runtime/old", "x/y")
    assert second.actions[0].blocked_by == ()
    assert platform.actions[0].blocked_by == ("admin-gate/ack-4.3-x",)
    assert platform.actions[0].requires == ("manual check minio",)
    assert result.blocked_actions == 2


def test_clusters_that_cannot_be_placed_are_named() -> None:
    movers = [Mover("unknown", None, why_unknown="its version is not known (timeout)"),
              Mover("newer", (1, 36))]  # fmt: skip
    result = roadmap("4.2", "4.3", movers)
    assert result.not_planned == (
        "unknown: its version is not known (timeout)",
        "newer: on 1.36, newer than the 4.3 window (before 4.2 -> 4.3)",
    )
    assert result.total_windows == 1  # the hop alone


def test_a_patch_upgrade_is_one_hop_with_its_release_rule() -> None:
    result = roadmap("4.2", "4.2", [Mover("a", (1, 32))], current_text="4.2.0", target_text="4.2.1")
    assert result.route == ("4.2.0", "4.2.1")
    assert actions(result) == [[("a", "1.32", "1.33")], [("global", "4.2.0", "4.2.1")]]
    assert result.windows[-1].hop == "4.2.0 -> 4.2.1"


# -- is it moving? ---------------------------------------------------------------------------


def run(at: str, remaining: dict[str, int]) -> RunProgress:
    return RunProgress(ProgressPoint(at, remaining_steps=sum(remaining.values())), remaining)


def test_a_cluster_stalls_when_it_did_not_move_while_the_fleet_did() -> None:
    history = [
        run("2026-11-01T00:00:00Z", {"a": 3, "b": 4}),
        run("2026-11-02T00:00:00Z", {"a": 2, "b": 4}),
    ]
    assert stalled(history, {"a": 1, "b": 4}, 3) == ("b",)
    assert stalled(history, {"a": 1, "b": 3}, 3) == ()  # b moved
    assert stalled(history[1:], {"a": 1, "b": 4}, 3) == ()  # not enough runs yet
    # Nothing moved anywhere: a pause of the whole rollout, not one cluster stalling.
    paused = [run("1", {"a": 2, "b": 4}), run("2", {"a": 2, "b": 4})]
    assert stalled(paused, {"a": 2, "b": 4}, 3) == ()
    assert stalled(history, {"a": 1, "b": 4}, 2) == ("b",)


# -- end to end: the roadmap command and the reports -----------------------------------------


PASSED = [{"name": "VersionUpgradePath", "policy": "Always", "state": "Passed"}]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.conftest import RunningFleet

    spec = PlatformSpec(
        clusters=(PlatformCluster("g", version="v1.34.5-1"),),
        current={"version": "4.2.3"},
        preflight=PASSED,
        observed_at="2026-12-01T00:00:00Z",
        gates={"ack-4.3-ingress": "ingress-nginx is retired"},
        acks={},
    )
    specs = [
        ClusterSpec("g", "v1.34.5-1", node_count=1, platform=spec),
        ClusterSpec("canary", "v1.30.4", node_count=1),
        ClusterSpec("follower", "v1.29.8", node_count=1),
        ClusterSpec(
            "docker-old",
            "v1.23.17",
            nodes=(NodeSpec(), NodeSpec(container_runtime="docker://20.10.24")),
        ),
        ClusterSpec("fine", "v1.33.2", node_count=1),
    ]
    with Fleet(specs, lifetime=300) as running:
        directory = tmp_path_factory.mktemp("roadmap")
        kubeconfig = running.write_kubeconfig(directory / "kubeconfig.yaml")
        inventory = directory / "inventory.yaml"
        inventory.write_text(
            "contexts:\n  canary: {wave: 1}\n  follower: {wave: 2}\n", encoding="utf-8"
        )
        yield RunningFleet(running, kubeconfig), inventory


def command(fleet: Any, *extra: str) -> list[str]:
    running, inventory = fleet
    return [
        "--target", "4.3", "--kubeconfig", str(running.kubeconfig), "--global-context", "g",
        "--inventory", str(inventory), "--timeout", "3", "--no-progress", *extra,
    ]  # fmt: skip


def test_the_roadmap_command(cli: Any, fleet: Any) -> None:
    result = cli("roadmap", *command(fleet))
    assert result.code == 1, result.err  # docker-old's 1.24 step is blocked
    out = result.out
    assert out.startswith("roadmap 4.2.3 -> 4.3 in 9 windows (a direct upgrade: 9 windows)")
    assert "critical path: docker-old" in out
    assert "window 1 (before 4.2.3 -> 4.3):" in out
    assert "  canary: Kubernetes 1.30 -> 1.31 (wave 1)" in out
    assert "  docker-old: Kubernetes 1.23 -> 1.24 (blocked by path-runtime/docker-old)" in out
    assert "window 9 (4.2.3 -> 4.3):" in out
    assert "  g: platform 4.2.3 -> 4.3 (blocked by admin-gate/ack-4.3-ingress" in out
    assert "    requires: acknowledge admin gate ack-4.3-ingress" in out
    assert out.rstrip().splitlines()[-1].startswith("NOT_READY: upgrade to 4.3 from 4.2.3")
    # follower (wave 2) reaches 1.30 with the canary... and 1.31 only after it.
    window_of = {}
    for line in out.splitlines():
        if line.startswith("window "):
            current = line.split()[1]
        elif line.strip().startswith("follower: Kubernetes 1.30 -> 1.31"):
            window_of["follower"] = current
        elif line.strip().startswith("canary: Kubernetes 1.30 -> 1.31"):
            window_of["canary"] = current
    assert int(window_of["canary"]) < int(window_of["follower"])


def test_the_roadmap_in_every_report(cli: Any, fleet: Any, tmp_path: Path) -> None:
    result = cli("scan", *command(fleet, "--output-dir", str(tmp_path), "--max-parallel", "2"))
    assert result.code == 1, result.err
    assert "roadmap: 4.2.3 -> 4.3 in 9 windows" in result.out
    report = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    validate_report(report)
    roadmap = report["roadmap"]
    assert roadmap["route"] == ["4.2.3", "4.3"] and roadmap["total_windows"] == 9
    assert roadmap["max_parallel"] == 2
    assert all(len(w["actions"]) <= 2 for w in roadmap["windows"])
    assert {c["context"]: c["wave"] for c in report["clusters"]}["canary"] == 1
    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "## Roadmap" in markdown and "### Window 9: platform 4.2.3 -> 4.3" in markdown
    assert "- [ ] canary: Kubernetes 1.30 -> 1.31 (wave 1)" in markdown
    assert "  - [ ] acknowledge admin gate ack-4.3-ingress: `kubectl -n cpaas-system" in markdown
    html = (tmp_path / "latest.html").read_text(encoding="utf-8")
    assert 'aria-labelledby="timeline-title timeline-desc"' in html
    assert html.count('class="tl-window') == 9
    assert "burndown" not in html.split('<section class="roadmap"')[1].split("</section>")[0]
    lines = (tmp_path / "roadmap-history.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["windows"] == 9


def test_no_plan_means_no_roadmap(cli: Any, fleet: Any) -> None:
    result = cli("scan", *command(fleet, "--no-plan", "--json", "-"))
    assert json.loads(result.out)["roadmap"] is None
    refused = cli("roadmap", *command(fleet, "--no-plan"))
    assert refused.code == 2 and "No such option '--no-plan'" in refused.err


def test_burn_down_stalls_metrics_and_diff_over_runs(cli: Any, fleet: Any, tmp_path: Path) -> None:
    """Three earlier runs in the history file (a generated rollout where docker-old never
    moves), then a real scan: the burn-down has four points and docker-old is stalled."""
    history = tmp_path / "roadmap-history.jsonl"
    rows = [
        ("2026-11-01T00:00:00Z", {"canary": 3, "follower": 4, "docker-old": 8}, 12),
        ("2026-11-08T00:00:00Z", {"canary": 2, "follower": 3, "docker-old": 8}, 10),
        ("2026-11-15T00:00:00Z", {"canary": 1, "follower": 3, "docker-old": 8}, 9),
    ]
    history.write_text(
        "".join(
            json.dumps({"generated_at": at, "must_move": 3, "plan_blockers": 1, "windows": w,
                        "remaining_steps": sum(r.values()), "remaining": r}) + "\n"
            for at, r, w in rows
        )
        + "not json\n",
        encoding="utf-8",
    )  # fmt: skip
    metrics = tmp_path / "scan.prom"
    result = cli("scan", *command(fleet, "--output-dir", str(tmp_path), "--metrics-file",
                                  str(metrics)))  # fmt: skip
    assert result.code == 1, result.err
    report = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    roadmap = report["roadmap"]
    assert [p["generated_at"] for p in roadmap["history"]][:3] == [r[0] for r in rows]
    assert len(roadmap["history"]) == 4
    assert roadmap["stalled"] == ["docker-old"]
    assert "roadmap: stalled (no progress over the last runs): docker-old" in result.out
    html = (tmp_path / "latest.html").read_text(encoding="utf-8")
    assert 'aria-labelledby="bd-title bd-desc"' in html and "4 runs" in html
    text = metrics.read_text(encoding="utf-8")
    assert 'upgrade_scanner_roadmap_windows{target="4.3"} 9.0' in text
    assert 'upgrade_scanner_roadmap_stalled_clusters{target="4.3"} 1.0' in text
    assert 'upgrade_scanner_roadmap_remaining_steps{target="4.3"} 11.0' in text
    assert len(history.read_text(encoding="utf-8").splitlines()) == 4  # the bad line dropped
    # diff: the roadmap of an earlier report with one window more and canary further back.
    old = json.loads(json.dumps(report))
    old["roadmap"]["total_windows"] = 10
    old["roadmap"]["remaining"]["canary"] = 2
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps(old), encoding="utf-8")
    diff = cli("diff", str(earlier), str(tmp_path / "latest.json"))
    assert "Roadmap" in diff.out and "10 windows" in diff.out and "9 windows" in diff.out
    assert "canary" in diff.out and "2 steps" in diff.out and "1 steps" in diff.out


# -- the window model's rules hold for any fleet ---------------------------------------------

fleets = st.lists(
    st.tuples(st.integers(24, 34), st.one_of(st.none(), st.integers(1, 3))),
    min_size=1,
    max_size=30,
)


@hypothesis_settings(max_examples=60, deadline=None)
@given(fleets, st.integers(1, 3), st.integers(1, 5))
def test_every_window_keeps_the_rules(fleet: list[Any], steps: int, parallel: int) -> None:
    movers = [Mover(f"c{i}", (1, minor), wave) for i, (minor, wave) in enumerate(fleet)]
    result = roadmap("4.2", "4.3", movers, Settings(steps, parallel))
    reached: dict[str, dict[int, int]] = {}  # cluster -> minor -> window it was reached in
    position = {m.context: m.minor[1] for m in movers if m.minor}
    for window in result.windows[:-1]:
        assert 1 <= len(window.actions) <= parallel
        assert len({a.cluster for a in window.actions}) == len(window.actions)
        for action in window.actions:
            start, end = int(action.from_version[2:]), int(action.to[2:])
            assert start == position[action.cluster] and 1 <= end - start <= steps
            position[action.cluster] = end
            for minor in range(start + 1, end + 1):
                reached.setdefault(action.cluster, {})[minor] = window.index
    # Everyone is in the 4.3 window (1.31-1.34) before the hop, which comes last.
    assert all(minor >= 31 for minor in position.values())
    assert result.windows[-1].actions[0].kind == PLATFORM
    # Waves: a cluster reaches a minor only after every lower wave that needed it has.
    wave = {m.context: (m.wave or 1 << 30) for m in movers}
    for cluster, minors in reached.items():
        for other, theirs in reached.items():
            if wave[other] < wave[cluster]:
                for minor, when in minors.items():
                    if minor in theirs:
                        assert theirs[minor] < when, (cluster, other, minor)
