"""The benchmark's reference client is a fair measuring stick: the same two reads per cluster
as ``scan --no-plan --no-discovery``, over one connection, on the same simulated fleet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks import minimal
from simfleet import ClusterSpec, Failure, Fleet


def test_minimal_client_makes_the_scans_reads_and_answers_the_same_clusters(
    tmp_path: Path, cli: Any
) -> None:
    specs = [
        ClusterSpec("a", "v1.33.2", node_count=4),
        ClusterSpec("b", "v1.31.9", node_count=1),
        ClusterSpec("gone", failure=Failure.REFUSED),
        ClusterSpec("denied", failure=Failure.STATUS_403),
    ]
    with Fleet(specs, lifetime=60, shared_ca=True) as fleet:
        kubeconfig = fleet.write_kubeconfig(tmp_path / "kc.yaml")
        out = tmp_path / "minimal.json"
        minimal.main([str(kubeconfig), "--timeout", "2", "--out", str(out)])
        by_minimal = {name: fleet.requests(name) for name in ("a", "b")}
        connections = {name: fleet.stats(name).connections for name in ("a", "b")}
        report = tmp_path / "scan.json"
        scan = cli("scan", "--target", "4.3", "--kubeconfig", str(kubeconfig), "--timeout", "2",
                "--retries", "0", "--no-plan", "--no-discovery", "--json", str(report), "-q",
                "--no-progress")  # fmt: skip
        assert scan.code == 3, scan  # two clusters could not be checked
        by_scan = {name: fleet.requests(name) - by_minimal[name] for name in ("a", "b")}
    result = json.loads(out.read_text())
    assert result["clusters"] == 4
    assert result["outcomes"] == {"ok": 2, "ConnectionRefusedError": 1, "HTTP 403": 1}
    assert by_minimal == by_scan == {"a": 2, "b": 2}  # /version and one page of nodes
    assert connections == {"a": 1, "b": 1}
    answered = [c for c in json.loads(report.read_text())["clusters"] if c.get("version")]
    assert sorted(c["context"] for c in answered) == ["a", "b"]
