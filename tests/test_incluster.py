"""--in-cluster: the global cluster through the pod's service account, workloads from files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import scanner.inputs.incluster
from tests.conftest import RunningFleet


@pytest.fixture
def service_account(
    demo_fleet: RunningFleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(demo_fleet.fleet.token("global"))
    (account / "ca.crt").write_bytes(demo_fleet.fleet.ca_pem("global"))
    monkeypatch.setattr(scanner.inputs.incluster, "SERVICE_ACCOUNT_DIR", str(account))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(demo_fleet.fleet.port("global")))
    return account


def test_in_cluster_global_and_kubeconfig_workloads(
    cli: Any, demo_fleet: RunningFleet, service_account: Path
) -> None:
    result = cli(
        "scan", "--target", "4.3", "--from", "4.2", "--in-cluster",
        "--kubeconfig", str(demo_fleet.kubeconfig), "--context", "aks-web", "--context", "global",
        "--json", "-", "--timeout", "3",
    )  # fmt: skip
    report = json.loads(result.out)
    roles = [(c["context"], c["role"]) for c in report["clusters"]]
    assert roles == [
        ("in-cluster", "global"),
        ("global", "workload"),
        ("aks-web", "workload"),
        ("dr-standby", "workload"),  # from the platform records read through the pod's account
    ]
    in_cluster = report["clusters"][0]
    assert in_cluster["version"]["git_version"] == "v1.34.5-1"
    assert in_cluster["recorded_version"] == "v1.34.5-1"  # matched to its record by URL
    # The demo platform's preflight has a check in Retry (a warning), a gate for 4.3 is not
    # acknowledged (a blocker on the global cluster), its newest etcd backup is 30 hours old
    # and a node's certificate request is pending (warnings).
    assert in_cluster["status"] == "BLOCKED", in_cluster
    assert {f["id"] for f in in_cluster["findings"] if f["severity"] != "info"} == {
        "preflight/workload-clusters-ready",
        "admin-gate/ack-4.3-ingress-nginx-retirement",
        "etcd-backup/in-cluster",
        "pending-csr/in-cluster",
    }
    assert demo_fleet.fleet.token("global") not in result.out


def test_in_cluster_outside_a_pod_is_an_input_error(
    cli: Any, demo_fleet: RunningFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result = cli(
        "scan", "--target", "4.3", "--in-cluster", "--kubeconfig", str(demo_fleet.kubeconfig)
    )
    assert result.code == 2
    assert "KUBERNETES_SERVICE_HOST" in result.err and result.err.count("\n") == 1


def test_in_cluster_excludes_global_context(
    cli: Any, demo_fleet: RunningFleet, service_account: Path
) -> None:
    result = cli(
        "scan", "--target", "4.3", "--in-cluster", "--global-context", "global",
        "--kubeconfig", str(demo_fleet.kubeconfig),
    )  # fmt: skip
    assert result.code == 2 and "cannot be used together" in result.err
