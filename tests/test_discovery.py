"""Platform discovery through the real kubernetes client against simulated global clusters.

One fleet holds several global clusters, each a scenario: ``global-a`` records a full
platform (every kind of reference, a stale record, a hosted control plane not Ready, clusters
the kubeconfig lacks, every preflight state), ``global-none`` serves none of the APIs,
``global-forbidden`` answers 403 to all of them, ``global-string`` has a version string and
no preflight, ``global-hang`` never answers. Each scan picks its global with
``--global-context`` and its workloads with ``--context``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.collect import BUDGET_MARGIN, CollectOptions
from scanner.inputs.selection import Selection, select_all
from scanner.kube import loop
from scanner.platform.catalogue import (
    CAPI,
    ETCD_BACKUP,
    KAMAJI,
    PRODUCTBASE,
    READS,
    SHADOW_LIST,
    TKESTACK,
)
from scanner.platform.read import discover
from scanner.report import Report
from simfleet import ClusterSpec, Failure, Fleet
from simfleet.platform import PlatformCluster, PlatformSpec
from tests.conftest import CliResult, RunningFleet

KIND_RECORDS = {  # record-only clusters, one per way a kind is recorded
    "k-dcs": PlatformCluster("k-dcs", version="v1.33.1", capi=True, infrastructure="DCSCluster"),
    "k-vsphere": PlatformCluster(
        "k-vsphere", version="v1.33.1", capi=True, infrastructure="VSphereCluster"
    ),
    "k-hcs": PlatformCluster("k-hcs", version="v1.33.1", capi=True, infrastructure="HCSCluster"),
    "k-bm": PlatformCluster(
        "k-bm", version="v1.33.1", capi=True, infrastructure="BaremetalCluster"
    ),
    "k-upi": PlatformCluster(
        "k-upi", version="v1.33.1", capi=True, infrastructure="UserProvisionedCluster"
    ),
    "k-hosted": PlatformCluster(
        "k-hosted", version="v1.33.1", capi=True, control_plane="KamajiControlPlane"
    ),
    "k-capi-plain": PlatformCluster("k-capi-plain", type=None, version="v1.33.1", capi=True),
    "k-imported": PlatformCluster("k-imported", type="Imported", version="v1.33.1"),
    "k-other": PlatformCluster(
        "k-other", version="v1.33.1", capi=True, infrastructure="AWSCluster"
    ),
}
KINDS = {
    "k-dcs": "ipi",
    "k-vsphere": "ipi",
    "k-hcs": "ipi",
    "k-bm": "ipi",
    "k-upi": "upi",
    "k-hosted": "hosted",
    "k-capi-plain": "third-party",
    "k-imported": "third-party",
    "k-other": "unknown",
}
CHECKS = (
    {"name": "etcd-health", "policy": "Required", "state": "Passed", "message": "3/3 healthy"},
    {"name": "cert-expiry", "policy": "Required", "state": "Retry", "reason": "Pending"},
    {"name": "docker-nodes", "policy": "Required", "state": "Failed", "reason": "DockerRuntime",
     "message": "node w-3 runs docker://20.10.24"},
    {"name": "odd-one", "state": "Running"},
)  # fmt: skip
PLATFORM_A = PlatformSpec(
    clusters=(
        PlatformCluster("global-a", version="v1.34.5-1"),
        PlatformCluster("ipi-a", version="v1.33.2-1", capi=True, infrastructure="DCSCluster"),
        PlatformCluster(
            "stale", version="v1.31.4", capi=True, infrastructure="UserProvisionedCluster"
        ),
        PlatformCluster("named-otherwise", type="Imported", version="v1.32.4", server_of="by-url"),
        PlatformCluster("inv-record", type="Imported", version="v1.32.1"),
        PlatformCluster(
            "tenant",
            version="v1.33.1",
            capi=True,
            control_plane="KamajiControlPlane",
            tcp_status="NotReady",
        ),
        PlatformCluster("lost", version="v1.29.8-2", capi=True, infrastructure="DCSCluster"),
        PlatformCluster("no-version", version=None),
        *KIND_RECORDS.values(),
    ),
    current={"version": "4.2.1"},
    preflight=CHECKS,
)
WORKLOADS_A = ("ipi-a", "stale", "by-url", "inv-ctx", "tenant", "stranger")


def fleet_specs() -> list[ClusterSpec]:
    return [
        ClusterSpec("global-a", "v1.34.5-1", node_count=1, platform=PLATFORM_A),
        ClusterSpec("ipi-a", "v1.33.2-1", node_count=1),
        ClusterSpec("stale", "v1.32.4", node_count=1),
        ClusterSpec("by-url", "v1.32.4", node_count=1),
        ClusterSpec("inv-ctx", "v1.32.1", node_count=1),
        ClusterSpec("tenant", "v1.33.1", node_count=1),
        ClusterSpec("stranger", "v1.33.1", node_count=1),
        ClusterSpec("global-none", "v1.34.5-1", node_count=1),
        ClusterSpec(
            "global-forbidden",
            "v1.34.5-1",
            node_count=1,
            platform=PlatformSpec(
                clusters=(PlatformCluster("ipi-a"),),
                forbidden=(TKESTACK.key, CAPI.key, KAMAJI.key, SHADOW_LIST.key),
            ),
        ),
        ClusterSpec(
            "global-string",
            "v1.33.7-4",
            node_count=1,
            platform=PlatformSpec(
                clusters=(PlatformCluster("ipi-a", version="v1.33.2-1"),),
                current="v4.1.0",
                missing=(KAMAJI.key,),
            ),
        ),
        ClusterSpec("global-hang", failure=Failure.HANG),
    ]


@pytest.fixture(scope="module")
def platform_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    with Fleet(fleet_specs(), lifetime=600) as fleet:
        path = fleet.write_kubeconfig(tmp_path_factory.mktemp("platform") / "kubeconfig.yaml")
        yield RunningFleet(fleet, path)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inventory") / "inventory.yaml"
    path.write_text("contexts:\n  inv-ctx: {platform_name: inv-record, owner: team-x}\n")
    return path


def scan(cli: Any, fleet: RunningFleet, global_context: str, *args: str) -> tuple[CliResult, Any]:
    result = cli(
        "scan", "--kubeconfig", str(fleet.kubeconfig), "--global-context", global_context,
        "--timeout", "2", "--no-progress", "--json", "-", *args,
    )  # fmt: skip
    return result, json.loads(result.out) if result.out.startswith("{") else None


@pytest.fixture(scope="module")
def report_a(platform_fleet: RunningFleet, inventory: Path) -> dict[str, Any]:
    """A 4.3 scan of global-a, without --from and without kinds in the inventory."""
    from scanner.cli import run

    contexts = [arg for name in WORKLOADS_A for arg in ("--context", name)]
    out = Path(inventory).parent / "report-a.json"
    code = run(
        [
            "scan", "--target", "4.3", "--kubeconfig", str(platform_fleet.kubeconfig),
            "--global-context", "global-a", *contexts, "--inventory", str(inventory),
            "--timeout", "2", "--no-progress", "--json", str(out), "-q",
        ]
    )  # fmt: skip
    report: dict[str, Any] = json.loads(out.read_text())
    assert code == report["exit_code"]
    return report


def clusters(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["context"]: c for c in report["clusters"]}


def finding_ids(cluster: dict[str, Any]) -> set[str]:
    return {f["id"] for f in cluster["findings"]}


def test_a_cluster_the_kubeconfig_lacks_is_reported_from_its_record(
    report_a: dict[str, Any],
) -> None:
    lost = clusters(report_a)["lost"]
    assert lost["source"] == "platform-record" and lost["role"] == "workload"
    assert lost["version"]["git_version"] == "v1.29.8-2" and lost["nodes"] is None
    assert lost["status"] == "BLOCKED"  # evaluated on its recorded version: it blocks
    assert lost["upgrade_path"] == ["1.30", "1.31"]
    assert {"window/lost", "not-scanned/lost"} <= finding_ids(lost)
    warning = next(f for f in lost["findings"] if f["id"] == "not-scanned/lost")
    assert warning["severity"] == "warning"
    assert warning["message"].startswith("not scanned directly; add a context to verify")
    assert report_a["verdict"] == "NOT_READY"
    assert "lost" in " ".join(report_a["platform"]["notes"])


def test_a_record_without_version_is_unknown_config(report_a: dict[str, Any]) -> None:
    cluster = clusters(report_a)["no-version"]
    assert cluster["status"] == "UNKNOWN" and cluster["source"] == "platform-record"
    assert cluster["error"] == {
        "category": "config",
        "message": "recorded on the platform with no version and not in the kubeconfig",
    }


def test_a_context_the_platform_does_not_know(report_a: dict[str, Any]) -> None:
    stranger = clusters(report_a)["stranger"]
    notice = next(f for f in stranger["findings"] if f["id"] == "not-registered/stranger")
    assert notice["severity"] == "info"
    assert notice["message"].startswith("not registered on the global cluster")
    assert stranger["status"] == "PASS" and stranger["recorded_version"] is None


def test_contexts_match_by_inventory_name_and_url(report_a: dict[str, Any]) -> None:
    found = clusters(report_a)
    assert found["inv-ctx"]["recorded_version"] == "v1.32.1"  # inventory platform_name
    assert found["by-url"]["recorded_version"] == "v1.32.4"  # API server URL
    assert found["ipi-a"]["recorded_version"] == "v1.33.2-1"  # name
    assert found["global-a"]["recorded_version"] == "v1.34.5-1"
    for context in ("inv-ctx", "by-url", "ipi-a", "global-a"):
        assert not any(i.startswith("not-registered/") for i in finding_ids(found[context]))
    # Matched records are not reported a second time.
    assert not {"inv-record", "named-otherwise"} & set(found)


def test_kind_of_every_reference(report_a: dict[str, Any]) -> None:
    found = clusters(report_a)
    assert {name: found[name]["kind"] for name in KINDS} == KINDS
    for name, kind in KINDS.items():
        assert found[name]["kind_source"] == ("unknown" if kind == "unknown" else "discovery")
    assert (found["ipi-a"]["kind"], found["ipi-a"]["kind_source"]) == ("ipi", "discovery")
    assert found["stale"]["kind"] == "upi" and found["tenant"]["kind"] == "hosted"
    assert "hcp-preview/tenant" in finding_ids(found["tenant"])  # kinds drive the rules
    assert found["stranger"]["kind_source"] == "unknown"


def test_recorded_and_live_versions_differ(report_a: dict[str, Any]) -> None:
    found = clusters(report_a)
    mismatch = next(f for f in found["stale"]["findings"] if f["id"] == "record-mismatch/stale")
    assert mismatch["severity"] == "warning"
    assert "v1.31.4" in mismatch["message"] and "v1.32.4" in mismatch["message"]
    assert found["stale"]["status"] == "WARN"
    # The same release with another build suffix is not a mismatch.
    assert "record-mismatch/ipi-a" not in finding_ids(found["ipi-a"])


def test_hosted_control_plane_not_ready(report_a: dict[str, Any]) -> None:
    tenant = clusters(report_a)["tenant"]
    warning = next(f for f in tenant["findings"] if f["id"] == "tcp-not-ready/tenant")
    assert warning["severity"] == "warning" and "NotReady" in warning["message"]
    assert tenant["status"] == "WARN"


def test_every_preflight_state(report_a: dict[str, Any]) -> None:
    global_a = clusters(report_a)["global-a"]
    severities = {f["id"]: f["severity"] for f in global_a["findings"] if f["rule"] == "preflight"}
    assert severities == {
        "preflight/docker-nodes": "blocker",
        "preflight/cert-expiry": "warning",
        "preflight/odd-one": "warning",
    }  # Passed adds nothing
    assert global_a["status"] == "BLOCKED"
    preflight = report_a["platform"]["preflight"]
    assert preflight["observed_at"] == "2025-06-01T11:58:00Z"
    assert [c["state"] for c in preflight["checks"]] == ["Passed", "Retry", "Failed", "Running"]


def test_current_version_comes_from_the_global_cluster(report_a: dict[str, Any]) -> None:
    assert report_a["from"] == "4.2.1"
    platform = report_a["platform"]
    assert platform["current_version"] == "4.2.1"
    assert platform["current_version_source"] == "global-cluster"
    assert platform["discovered_version"] == "4.2.1" and platform["discovered"] is True
    path = next(
        f for f in clusters(report_a)["global-a"]["findings"] if f["rule"] == "upgrade-path"
    )
    assert path["severity"] == "info"  # 4.2 -> 4.3 verified without --from


def test_the_report_round_trips(report_a: dict[str, Any]) -> None:
    assert Report.from_dict(report_a).to_dict() == report_a


def test_a_latest_target_takes_the_current_version_from_the_global_cluster(
    cli: Any, platform_fleet: RunningFleet
) -> None:
    # global-string reports "v4.1.0" as a plain string: 4.2's rule wants 1.32 (latest of 4.1).
    _, report = scan(cli, platform_fleet, "global-string", "--target", "4.2", "--context", "ipi-a")
    assert report["from"] == "4.1.0"
    assert report["platform"]["current_version_source"] == "global-cluster"
    ipi = clusters(report)["ipi-a"]
    assert "latest/ipi-a" in finding_ids(ipi) and ipi["status"] == "BLOCKED"
    assert report["platform"]["preflight"] is None
    assert any("tenantcontrolplanes" in note for note in report["platform"]["notes"])


def test_from_flag_wins_and_a_different_platform_version_is_noted(
    cli: Any, platform_fleet: RunningFleet
) -> None:
    _, report = scan(
        cli, platform_fleet, "global-string", "--target", "4.3", "--from", "4.2",
        "--context", "ipi-a",
    )  # fmt: skip
    assert report["from"] == "4.2"
    assert report["platform"]["current_version_source"] == "flag"
    assert (
        "the global cluster reports platform version v4.1.0; --from 4.2 was used"
        in (report["platform"]["notes"])
    )


def test_a_global_cluster_without_any_platform_api(cli: Any, platform_fleet: RunningFleet) -> None:
    result, report = scan(
        cli, platform_fleet, "global-none", "--target", "4.3", "--context", "ipi-a"
    )
    assert result.code == 0, result.err
    platform = report["platform"]
    assert platform["discovered"] is False and platform["records"] == 0
    assert platform["preflight"] is None and platform["current_version"] is None
    # Every platform API is missing: API discovery finds none of the platform groups, and
    # each documented API answers 404; each says so in a note.
    notes = platform["notes"]
    unserved = [n for n in notes if "no API group of the global cluster serves it" in n]
    assert {n.split(":")[0] for n in unserved} == {
        "clusterversionshadows", "productbases", "moduleinfoes", "clustermodules",
    }  # fmt: skip
    others = [n for n in notes if n not in unserved]
    assert others and all("not found on the global cluster (HTTP 404" in n for n in others)
    assert platform["disabled_checks"] is None and platform["gates"] is None
    for cluster in report["clusters"]:
        assert cluster["source"] == "kubeconfig"
        assert not any(f["id"].startswith("not-registered/") for f in cluster["findings"])
    # Without a current version the upgrade path stays unverified, as without discovery.
    assert "upgrade-path/global-none" in finding_ids(clusters(report)["global-none"])
    markdown = cli(
        "scan", "--target", "4.3", "--kubeconfig", str(platform_fleet.kubeconfig),
        "--global-context", "global-none", "--context", "ipi-a", "--timeout", "2",
        "--no-progress", "--markdown", "-",
    ).out  # fmt: skip
    assert "No result yet: the platform has not reported an upgrade preflight" in markdown


def test_a_latest_target_without_any_current_version_is_a_usage_error(
    cli: Any, platform_fleet: RunningFleet
) -> None:
    result, _ = scan(cli, platform_fleet, "global-none", "--target", "4.2", "--context", "ipi-a")
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1
    assert "--from is required for --target 4.2" in result.err
    assert "the global cluster did not report its current version" in result.err


def test_forbidden_apis_are_notes(cli: Any, platform_fleet: RunningFleet) -> None:
    result, report = scan(
        cli, platform_fleet, "global-forbidden", "--target", "4.3", "--context", "stranger"
    )
    assert result.code == 0, result.err
    notes = report["platform"]["notes"]
    forbidden = [n for n in notes if "not readable (HTTP 403 Forbidden" in n]
    assert len(forbidden) == 4 and all("deploy/rbac.yaml" in note for note in forbidden)
    assert all("HTTP 404" in n for n in notes if n not in forbidden)  # not served there
    # No list of clusters was read, so nothing is said about registration.
    assert "not-registered/stranger" not in finding_ids(clusters(report)["stranger"])


def test_a_hung_global_cluster_does_not_hold_the_scan(
    cli: Any, platform_fleet: RunningFleet
) -> None:
    began = time.monotonic()
    _, report = scan(
        cli, platform_fleet, "global-hang", "--target", "4.3", "--context", "ipi-a",
        "--timeout", "1", "--retries", "0",
    )  # fmt: skip
    assert time.monotonic() - began < 1 + BUDGET_MARGIN + 5
    assert clusters(report)["global-hang"]["status"] == "UNKNOWN"
    assert report["platform"]["discovered"] is False
    assert report["platform"]["notes"]  # why nothing was read


def test_no_discovery_sends_no_platform_request(cli: Any, platform_fleet: RunningFleet) -> None:
    fleet = platform_fleet.fleet
    before = fleet.stats("global-a").paths
    _, report = scan(
        cli, platform_fleet, "global-a", "--target", "4.3", "--from", "4.2",
        "--context", "ipi-a", "--no-discovery",
    )  # fmt: skip
    after = fleet.stats("global-a").paths
    platform_paths = [path for path in after if path.startswith("/apis/")]
    assert all(after[path] == before.get(path) for path in platform_paths)
    assert report["platform"]["notes"] == ["platform discovery turned off (--no-discovery)"]
    assert [c["context"] for c in report["clusters"]] == ["global-a", "ipi-a"]
    assert clusters(report)["ipi-a"]["kind"] == "unknown"


def test_paged_lists_are_read_to_the_end(platform_fleet: RunningFleet) -> None:
    selected = select_all(
        Selection(kubeconfigs=(str(platform_fleet.kubeconfig),), global_context="global-a")
    )
    assert selected.global_target is not None
    whole = loop.run(discover(selected.global_target, CollectOptions(timeout=2)))
    paged = loop.run(discover(selected.global_target, CollectOptions(timeout=2, page_size=2)))
    assert [r.name for r in paged.records] == [r.name for r in whole.records]
    assert len(whole.records) == len(PLATFORM_A.clusters)
    # Everything but the ProductBase and the etcd backup configuration (this platform has
    # neither: 404, so not read, and the manual checklist says so) was read.
    expected = {r.key for r in READS} - {PRODUCTBASE.key, ETCD_BACKUP.key}
    assert paged.read == whole.read == expected


def test_contexts_shows_the_records(cli: Any, platform_fleet: RunningFleet) -> None:
    result = cli(
        "contexts", "--discover", "--kubeconfig", str(platform_fleet.kubeconfig),
        "--global-context", "global-a", "--context", "ipi-a", "--context", "stranger",
        "--timeout", "2",
    )  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[-2:] == ["PLATFORM", "RECORD"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["ipi-a"].endswith("ipi-a (ipi, v1.33.2-1)")
    assert rows["stranger"].endswith("not registered")
    assert "no kubeconfig context" in rows["lost"] and "lost (ipi, v1.29.8-2)" in rows["lost"]
    assert "stale" not in rows  # its context exists, it was just not selected
    assert "platform: current version 4.2.1" in lines


def test_platform_specs_from_fleet_files() -> None:
    spec = ClusterSpec.from_dict(
        {
            "name": "g",
            "platform": {"clusters": [{"name": "a", "type": "Imported"}], "current": "4.2"},
        }
    )
    assert spec.platform is not None and spec.platform.clusters[0].type == "Imported"
    with pytest.raises(ValueError, match="unknown APIs"):
        ClusterSpec.from_dict({"name": "g", "platform": {"forbidden": ["nodes"]}})
    with pytest.raises(ValueError, match="unknown keys"):
        ClusterSpec.from_dict({"name": "g", "platform": {"preflights": []}})
