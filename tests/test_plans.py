"""Upgrade plans (SPEC 9, issue 12): the removals data against the upstream guide, the
metric parser, the plan rules, and plans end to end against the simulated fleet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.collect.plan import parse_deprecated
from scanner.errors import PolicyError
from scanner.inputs.policy import load_policy
from scanner.inputs.removals import load_removals, parse_removals
from scanner.kube.reader import read_lines
from scanner.model import (
    DeprecatedRequest,
    DisruptionBudget,
    NodeSummary,
    Observation,
    PlanInputs,
)
from scanner.rules.plan import build_plan
from scanner.versions import parse_git_version
from simfleet import ClusterSpec, Fleet, NodeSpec
from tests.conftest import CliResult, RunningFleet, validate_report

GUIDE = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
# The guide's "Removed APIs by release" (v1.32 down to v1.16), as it lists them:
# release -> [(group/version, Kind names), ...]. Kinds are turned into resources below.
UPSTREAM = {
    "1.32": [("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration")],
    "1.29": [("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration")],
    "1.27": [("storage.k8s.io/v1beta1", "CSIStorageCapacity")],
    "1.26": [
        ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    ],
    "1.25": [
        ("batch/v1beta1", "CronJob"),
        ("discovery.k8s.io/v1beta1", "EndpointSlice"),
        ("events.k8s.io/v1beta1", "Event"),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler"),
        ("policy/v1beta1", "PodDisruptionBudget PodSecurityPolicy"),
        ("node.k8s.io/v1beta1", "RuntimeClass"),
    ],
    "1.22": [
        ("admissionregistration.k8s.io/v1beta1",
         "MutatingWebhookConfiguration ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
        ("apiregistration.k8s.io/v1beta1", "APIService"),
        ("authentication.k8s.io/v1beta1", "TokenReview"),
        ("authorization.k8s.io/v1beta1",
         "LocalSubjectAccessReview SelfSubjectAccessReview SubjectAccessReview"),
        ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
        ("coordination.k8s.io/v1beta1", "Lease"),
        ("extensions/v1beta1", "Ingress"),
        ("networking.k8s.io/v1beta1", "Ingress IngressClass"),
        ("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding"),
        ("scheduling.k8s.io/v1beta1", "PriorityClass"),
        ("storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment"),
    ],
    "1.16": [
        ("extensions/v1beta1", "NetworkPolicy DaemonSet Deployment ReplicaSet"),
        ("apps/v1beta1", "Deployment StatefulSet ReplicaSet"),
        ("apps/v1beta2", "DaemonSet Deployment StatefulSet ReplicaSet"),
    ],
}  # fmt: skip
IRREGULAR = {
    "CSIStorageCapacity": "csistoragecapacities",
    "PodSecurityPolicy": "podsecuritypolicies",
    "NetworkPolicy": "networkpolicies",
    "PriorityClass": "priorityclasses",
    "IngressClass": "ingressclasses",
    "RuntimeClass": "runtimeclasses",
    "StorageClass": "storageclasses",
    "Ingress": "ingresses",
}


def plural(kind: str) -> str:
    return IRREGULAR.get(kind, kind.lower() + "s")


def test_the_removals_data_is_the_upstream_guide() -> None:
    data = load_removals()
    expected = {
        (gv.partition("/")[0], gv.partition("/")[2], plural(kind), release)
        for release, entries in UPSTREAM.items()
        for gv, kinds in entries
        for kind in kinds.split()
    }
    shipped = {(r.group, r.version, r.resource, r.removed_in_text) for r in data.removals}
    assert shipped == expected
    for removal in data.removals:
        # Each entry names the guide's section of its release (anchors end in -v125 etc.).
        assert removal.source.startswith(GUIDE + "#")
        assert removal.source.endswith("-v" + removal.removed_in_text.replace(".", ""))
        assert removal.replacement


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\nsource: y\nremovals: []\n", "removals: expected at least one removal"),
        (
            "id: x\nsource: y\nremovals:\n- {group: batch, version: v1beta1, resource: cronjobs,"
            " removed_in: 1.25, replacement: batch/v1, source: 'https://k'}\n",
            'removals[0].removed_in: expected a quoted string like "1.31", got the number 1.25',
        ),
        (
            "id: x\nsource: y\nremovals:\n- {group: batch, version: v1beta1, resource: cronjobs,"
            " removed_in: '1.25', replacement: batch/v1, source: 'the guide'}\n",
            "removals[0].source: expected the https:// address it was taken from",
        ),
        (
            "id: x\nsource: y\nremovals:\n- {group: batch, version: v1beta1, resource: cronjobs,"
            " removed: '1.25', replacement: batch/v1, source: 'https://k'}\n",
            "removals[0]: unknown key 'removed'",
        ),
    ],
)
def test_bad_removals_data_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_removals(text.encode(), "r.yaml")
    assert str(err.value).startswith(f"removed-APIs data r.yaml: {message}")
    assert "\n" not in str(err.value)


def test_the_deprecated_api_family_is_parsed() -> None:
    lines = [
        b'apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",'
        b'resource="podsecuritypolicies",subresource="",version="v1beta1"} 1',
        b'apiserver_requested_deprecated_apis{group="batch",removed_release="1.25",'
        b'resource="cronjobs",subresource="",version="v1beta1"} 0',  # none since the restart
        b'apiserver_requested_deprecated_apis{group="",removed_release="",resource="x\\"y",'
        b'subresource="status",version="v1"} 1',
        b"apiserver_requested_deprecated_apis{broken",
    ]
    assert parse_deprecated(lines) == (
        DeprecatedRequest(
            "policy", "v1beta1", "podsecuritypolicies", ("podsecuritypolicies",), "1.25"
        ),
        DeprecatedRequest("", "v1", 'x\\"y', ('x\\"y/status',), ""),
    )


class Chunks:
    """A streamed body handed out in awkward pieces, as the network does."""

    def __init__(self, body: bytes, size: int) -> None:
        self.body, self.size = body, size

    def read1(self, _: int) -> bytes:
        chunk, self.body = self.body[: self.size], self.body[self.size :]
        return chunk


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
def test_only_the_family_is_kept_from_a_streamed_body(size: int) -> None:
    family = b'apiserver_requested_deprecated_apis{group="a",version="v1",resource="r"} 1'
    body = b"x 1\n" * 50 + family + b"\n" + b"y 2\n" * 50 + family
    response = Chunks(body, size)
    kept = read_lines(response, b"apiserver_requested_deprecated_apis{", 1 << 20, 1e12, "/m")
    assert kept == [family, family] and response.body == b""


def observation(**inputs: Any) -> Observation:
    return Observation(
        "c",
        version=parse_git_version("v1.24.17"),
        nodes=NodeSummary(
            3,
            {"v1.24.17": 1, "v1.22.17": 1, "v1.23.4": 1},
            {"containerd://1.7": 2, "docker://20.10.24": 1},
        ),
        plan_inputs=PlanInputs(**inputs),
    )


def test_each_problem_lands_at_its_step() -> None:
    obs = observation(
        requested=(
            DeprecatedRequest("policy", "v1beta1", "podsecuritypolicies", "", "1.25"),
            DeprecatedRequest("flowcontrol.apiserver.k8s.io", "v1beta2", "flowschemas"),
            DeprecatedRequest("example.com", "v1alpha1", "widgets", "", "1.27"),  # not in data
            DeprecatedRequest("batch", "v1beta1", "cronjobs", "", "1.25"),
        ),
        served=frozenset({"v1", "policy/v1beta1"}),
        budgets=(
            DisruptionBudget("payments", "ledger", 0, 2),
            DisruptionBudget("web", "idle", 0, 0),  # no pods expected: no drain to block
            DisruptionBudget("web", "frontend", 1, 3),
        ),
    )
    path = ("1.25", "1.26", "1.27", "1.28", "1.29")
    plan = build_plan("c", obs, path, load_removals(), load_policy())
    at = {step.to: {f.id for f in step.findings} for step in plan.steps}
    assert plan.to == "1.29" and list(at) == list(path)
    assert at["1.25"] == {
        "removed-api/c/policy/v1beta1/podsecuritypolicies",
        "removed-api/c/batch/v1beta1/cronjobs",
        "path-skew/c/1.22",  # 1.22 is 2 behind at most (older than 1.25): outside at 1.25
        "drain-blocker/c/payments/ledger",
    }  # no path-runtime: on 1.24 already, its Docker node runs cri-dockerd
    assert at["1.26"] == {"path-skew/c/1.23"}
    assert at["1.27"] == {"removed-api/c/example.com/v1alpha1/widgets"}  # the metric's label
    assert at["1.29"] == {"removed-api/c/flowcontrol.apiserver.k8s.io/v1beta2/flowschemas"}
    assert at["1.28"] == set()
    skew = next(f for f in plan.findings if f.id == "path-skew/c/1.22")
    assert "upgrade those kubelets to at least 1.23 before the control plane reaches 1.25" in (
        skew.remediation
    )
    psp = next(f for f in plan.findings if f.id.endswith("podsecuritypolicies"))
    assert "no replacement API" in psp.remediation and "#psp-v125" in psp.remediation
    assert plan.blockers == 6 and plan.notes == ()


@pytest.mark.parametrize(
    ("version", "path", "at"),
    [
        ("v1.23.17", ("1.24", "1.25"), "1.24"),  # dockershim: cannot cross 1.24
        ("v1.22.9", ("1.23", "1.24"), "1.24"),
        ("v1.24.17", ("1.25", "1.26"), None),  # past 1.24: cri-dockerd, nothing to cross
        ("v1.32.4", ("1.33", "1.34"), None),  # the case: no "cannot cross 1.24"
    ],
)
def test_docker_nodes_block_a_path_only_across_1_24(
    version: str, path: tuple[str, ...], at: str | None
) -> None:
    obs = Observation(
        "c",
        version=parse_git_version(version),
        nodes=NodeSummary(2, {version: 2}, {"docker://20.10.24": 1, "containerd://1.7": 1}),
        plan_inputs=PlanInputs(requested=(), served=frozenset({"v1"}), budgets=()),
    )
    plan = build_plan("c", obs, path, load_removals(), load_policy())
    found = {step.to: [f for f in step.findings if f.rule == "path-runtime"] for step in plan.steps}
    assert [step for step, runtime in found.items() if runtime] == ([at] if at else [])
    if at:
        message = found[at][0].message
        assert message.startswith("1 node on docker://20.10.24 runs dockershim")


def test_unreadable_metrics_is_usage_unknown_never_none() -> None:
    obs = observation(
        requested_error="auth: HTTP 403 Forbidden",
        served=frozenset({"v1", "policy/v1beta1", "batch/v1beta1"}),
        budgets_error="auth: HTTP 403 Forbidden",
    )
    plan = build_plan("c", obs, ("1.25",), load_removals(), load_policy())
    assert not any(f.rule == "removed-api" for f in plan.findings)
    assert plan.notes[0].startswith(
        "removed-API usage unknown: /metrics not read (auth: HTTP 403 Forbidden)"
    )
    assert plan.notes[1] == (
        "served by the cluster and removed on the way (usage unknown): "
        "batch/v1beta1 (1.25), policy/v1beta1 (1.25)"
    )
    assert plan.notes[2].startswith("disruption budgets not read (auth: HTTP 403 Forbidden)")


# -- end to end -----------------------------------------------------------------------------

LEGACY = ClusterSpec(
    "old",
    "v1.24.17",
    nodes=(NodeSpec(), NodeSpec(kubelet_version="v1.22.17")),
    deprecated_requests=(
        {
            "group": "policy",
            "version": "v1beta1",
            "resource": "podsecuritypolicies",
            "removed_release": "1.25",
        },
    ),
    pdbs=({"namespace": "a", "name": "b", "allowed": 0, "expected": 1},),
    metrics_padding=2_000_000,
)
LOCKED = ClusterSpec("locked", "v1.29.4", metrics_status=403)
CURRENT = ClusterSpec("current", "v1.33.2")


@pytest.fixture(scope="module")
def plan_fleet(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Fleet([ClusterSpec("global", "v1.34.5-1"), LEGACY, LOCKED, CURRENT], lifetime=300) as f:
        yield RunningFleet(f, f.write_kubeconfig(tmp_path_factory.mktemp("p") / "k.yaml"))


def scan_json(cli: Any, fleet: RunningFleet, *extra: str) -> tuple[CliResult, dict[str, Any]]:
    result = cli(
        "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(fleet.kubeconfig),
        "--timeout", "3", "--no-progress", "--json", "-", *extra,
    )  # fmt: skip
    report = json.loads(result.out)
    validate_report(report)
    return result, report


def test_plans_in_a_scan(plan_fleet: RunningFleet, cli: Any) -> None:
    fleet = plan_fleet.fleet
    before = {name: fleet.stats(name).paths.get("/metrics", 0) for name in fleet.names}
    result, report = scan_json(cli, plan_fleet)
    assert result.code == 1
    clusters = {c["context"]: c for c in report["clusters"]}
    old = clusters["old"]["plan"]
    assert old["to"] == "1.31"
    assert [s["to"] for s in old["steps"]] == [f"1.{m}" for m in range(25, 32)]
    first = {f["id"] for f in old["steps"][0]["findings"]}
    assert first == {
        "removed-api/old/policy/v1beta1/podsecuritypolicies",
        "path-skew/old/1.22",
        "drain-blocker/old/a/b",
    }
    locked = clusters["locked"]["plan"]
    assert locked["notes"][0].startswith("removed-API usage unknown: /metrics not read (auth:")
    assert clusters["current"]["plan"] is None and clusters["global"]["plan"] is None
    # A plan never changes a status: "old" and "locked" are blocked by the window anyway.
    assert clusters["old"]["status"] == clusters["locked"]["status"] == "BLOCKED"
    summary = report["summary"]
    assert (summary["must_move"], summary["plan_steps"]) == (2, 7 + 2)
    assert summary["plan_blockers"] == 2 and summary["removed_apis_in_use"] == 1
    # Only the clusters that must move were asked for /metrics.
    after = {name: fleet.stats(name).paths.get("/metrics", 0) for name in fleet.names}
    asked = {name for name in fleet.names if after[name] > before[name]}
    assert asked == {"old", "locked"}
    text = cli(
        "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(plan_fleet.kubeconfig),
        "--timeout", "3", "--no-progress",
    ).out  # fmt: skip
    assert "plan: old 1.24 -> 1.25 -> 1.26 -> 1.27 -> 1.28 -> 1.29 -> 1.30 -> 1.31: 2 blockers" in (
        text
    )
    assert "plan: 2 clusters must move, 9 steps in total; 1 removed API still in use" in text


def test_no_plan_asks_nothing_more(plan_fleet: RunningFleet, cli: Any) -> None:
    fleet = plan_fleet.fleet
    before = fleet.stats("old").paths.get("/metrics", 0)
    _, report = scan_json(cli, plan_fleet, "--no-plan")
    assert all(c["plan"] is None for c in report["clusters"])
    assert report["summary"]["must_move"] == 0
    assert fleet.stats("old").paths.get("/metrics", 0) == before


def test_plan_command_to_a_future_minor(plan_fleet: RunningFleet, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = cli(
        "plan", "--to", "1.35", "--kubeconfig", str(plan_fleet.kubeconfig), "--context",
        "current", "--timeout", "3", "--no-progress", "--json", str(out),
    )  # fmt: skip
    assert result.code == 0, result.out + result.err  # nothing breaks 1.33 -> 1.35
    report = json.loads(out.read_text())
    validate_report(report)
    assert report["target"] == "kubernetes-1.35"
    clusters = {c["context"]: c for c in report["clusters"]}
    assert [s["to"] for s in clusters["current"]["plan"]["steps"]] == ["1.34", "1.35"]
    assert clusters["global"]["plan"]["to"] == "1.35"
    bad = cli("plan", "--to", "one.35", "--kubeconfig", str(plan_fleet.kubeconfig))
    assert bad.code == 2 and "is not a Kubernetes minor like 1.35" in bad.err
    blocked = cli(
        "plan", "--to", "1.35", "--kubeconfig", str(plan_fleet.kubeconfig), "--context", "old",
        "--timeout", "3", "--no-progress",
    )  # fmt: skip
    assert blocked.code == 1 and "plan: old 1.24 -> 1.25" in blocked.out
