"""The platform's own upgrade gate (SPEC 8), against a simulated platform through the real
kubernetes client: recorded clusters scanned through the platform proxy, per-cluster
ClusterVersionShadows, extensions, cluster modules, admin gates, every cluster's own
resource patches (direct and through the proxy), the checks disabled in cvo-config and the
ProductBase version of platforms before 4.3.

The fleet's global cluster ``g`` serves the platform (its shadow group is not the documented
one: it must be found by API discovery) and the proxy; ``g-old`` is a 4.1 platform with a
ProductBase and no shadows; ``g-locked`` answers 403 to every new read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.collect import CollectOptions
from scanner.inputs.selection import Selection, select_all
from scanner.kube import loop
from scanner.platform.read import discover
from simfleet import ClusterSpec, Failure, Fleet
from simfleet.platform import PlatformCluster, PlatformSpec
from tests.conftest import CliResult, RunningFleet, by_context, scan_json

PASSED = [{"name": "VersionUpgradePath", "policy": "Always", "state": "Passed"}]
# Observed an hour ago: recent, so no preflight here is stale (tests/test_procedure.py).
OBSERVED = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def shadow(*checks: dict[str, str], **status: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"current": {"version": "4.2.3"}, **status}
    if checks:
        found["preflight"] = {"observedAt": OBSERVED, "checks": list(checks)}
    return found


HIDDEN = tuple(f"hidden-{i}" for i in range(12))  # recorded, no kubeconfig context
GATE = PlatformSpec(
    clusters=(
        PlatformCluster("g", version="v1.34.5-1"),
        PlatformCluster("w-ok", version="v1.33.2-1", shadow=shadow(*PASSED)),
        PlatformCluster(
            "w-failed",
            version="v1.33.2-1",
            shadow=shadow(
                *PASSED,
                {
                    "name": "ClusterModuleStable",
                    "state": "Failed",
                    "reason": "NotStable",
                    "message": "module kube-ovn is Upgrading",
                },
                {"name": "PlatformLicense", "state": "Retry"},
            ),
        ),
        PlatformCluster(
            "w-stalled",
            version="v1.33.2-1",
            shadow=shadow(
                *PASSED,
                desired={"version": "4.3.0"},
                conditions=[
                    {
                        "type": "Stalled",
                        "status": "True",
                        "reason": "StageFailed",
                        "message": "stage kubernetes failed",
                    },
                    {"type": "Reconciling", "status": "True"},
                ],
                history=[
                    {"version": "4.3.0", "state": "Partial", "startedTime": "2025-06-01T10:00:00Z"}
                ],
            ),
        ),
        PlatformCluster("w-noresult", version="v1.33.2-1", shadow=shadow()),
        PlatformCluster("w-noshadow", version="v1.33.2-1"),
        PlatformCluster(
            "w-ext",
            version="v1.33.2-1",
            shadow=shadow(*PASSED),
            modules=(
                {"module": "ok-mod", "version": "v4.2.0"},
                {
                    "module": "moving",
                    "version": "v4.1.0",
                    "target": "v4.2.0",
                    "phase": "Upgrading",
                    "transit": "v4.2.0",
                },
                {
                    "module": "stuck",
                    "version": "v4.0.1",
                    "block_reasons": ["needs v4.2 before the platform upgrade"],
                },
            ),
        ),
        PlatformCluster(
            "w-mod",
            version="v1.33.2-1",
            shadow=shadow(*PASSED),
            cluster_module={
                "base": {"deployStatus": "DeployFailed", "runningStatus": "Healthy"},
                "upgradable": False,
                "unableUpgradeReason": "chart pull failed",
            },
        ),
        PlatformCluster("w-phase", version="v1.33.2-1", phase="Failed", shadow=shadow(*PASSED)),
        *(PlatformCluster(name, version="v1.32.6-3", shadow=shadow(*PASSED)) for name in HIDDEN),
        PlatformCluster("hidden-down", version="v1.32.6-3"),
    ),
    current={"version": "4.2.3"},
    preflight=PASSED,
    shadow_group="upgrade.alauda.io/v1beta1",
    observed_at=OBSERVED,
    cvo_disabled=("PlatformLicense", "ClusterVersionUpgradeable"),
    gates={
        "ack-4.3-acked": "already acknowledged",
        "ack-4.3-open": "read the 4.3 notes",
        "ack-4.4-kubernetes-1.35-kernel-update": "kernel 5.8+",
        "plain-gate": "a gate without a version",
    },
    acks={"ack-4.3-acked": "true", "plain-gate": "false"},
)
GLOBAL_PATCHES = (
    {"name": "p-exempt", "namespace": "cpaas-system", "target": "alb", "exempt_for": "4.3.0"},
    {"name": "p-old", "namespace": "cpaas-system", "target": "alb", "exempt_for": "4.2.0"},
    {"name": "p-none", "namespace": "kube-system", "target": "coredns"},
)
OLD = PlatformSpec(
    clusters=(PlatformCluster("g-old", version="v1.32.4"),),
    productbase_version="v4.1.2",
    missing=("clusterversionshadows",),
)
NEW_READS = (
    "clusterversionshadows", "productbase", "moduleinfoes", "clustermodules",
    "etcd-backup", "certificatesigningrequests", "cvo-config", "admin-gates", "admin-acks",
)  # fmt: skip
LOCKED = PlatformSpec(
    clusters=(PlatformCluster("g-locked", version="v1.34.5-1"),), forbidden=NEW_READS
)
WORKLOADS = ("w-ok", "w-failed", "w-stalled", "w-noresult", "w-noshadow", "w-ext", "w-mod",
             "w-phase")  # fmt: skip


def fleet_specs() -> list[ClusterSpec]:
    hidden_patch = ({"name": "p-hidden", "namespace": "kube-system", "target": "coredns"},)
    return [
        ClusterSpec("g", "v1.34.5-1", node_count=1, platform=GATE, resource_patches=GLOBAL_PATCHES),
        *(ClusterSpec(name, "v1.33.2-1", node_count=1) for name in WORKLOADS),
        # hidden-0 has a patch of its own: judged through the platform proxy.
        *(
            ClusterSpec(
                name,
                "v1.32.6-3",
                node_count=2,
                resource_patches=hidden_patch if name == "hidden-0" else (),
            )
            for name in HIDDEN
        ),
        ClusterSpec("hidden-down", "v1.32.6-3", failure=Failure.REFUSED),
        ClusterSpec("g-old", "v1.32.4", node_count=1, platform=OLD),
        ClusterSpec("g-locked", "v1.34.5-1", node_count=1, platform=LOCKED),
    ]


@pytest.fixture(scope="module")
def gate_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    with Fleet(fleet_specs(), lifetime=600) as fleet:
        path = fleet.write_kubeconfig(
            tmp_path_factory.mktemp("gate") / "kubeconfig.yaml",
            omit=(*HIDDEN, "hidden-down"),
            via_proxy=("g",),
        )
        yield RunningFleet(fleet, path)


def scan(
    cli: Any, fleet: RunningFleet, global_context: str, *extra: str
) -> tuple[CliResult, dict[str, Any]]:
    return scan_json(cli, fleet.kubeconfig, "--from", "4.2", "--global-context", global_context,
                     *extra)  # fmt: skip


def ids(cluster: dict[str, Any]) -> dict[str, str]:
    """Finding id -> severity, without the infos every cluster of this fleet has (no kind
    in an inventory; the path of the global cluster from --from)."""
    skip = ("kind-unknown/", "upgrade-path/")
    return {f["id"]: f["severity"] for f in cluster["findings"] if not f["id"].startswith(skip)}


@pytest.fixture(scope="module")
def full(gate_fleet: RunningFleet) -> dict[str, Any]:
    """One scan of g with every workload context (and the hidden clusters via the proxy)."""
    import contextlib
    import io

    from scanner.cli import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run([
            "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig",
            str(gate_fleet.kubeconfig), "--global-context", "g", "--timeout", "3",
            "--retries", "0", "--no-progress", "--json", "-", "--concurrency", "8",
        ])  # fmt: skip
    assert code == 1
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


# -- 1. recorded clusters through the platform proxy ---------------------------------------


def test_recorded_clusters_without_a_context_are_scanned_through_the_proxy(
    full: dict[str, Any], gate_fleet: RunningFleet
) -> None:
    clusters = by_context(full)
    proxy = gate_fleet.fleet.proxy_url
    for name in HIDDEN:
        hidden = clusters[name]
        assert hidden["source"] == "platform-proxy"
        assert hidden["server"] == f"{proxy}/kubernetes/{name}"
        assert hidden["version"]["git_version"] == "v1.32.6-3"  # a live answer
        assert hidden["nodes"]["count"] == 2
        # hidden-0's own resource patch blocks it (next test); the others pass.
        assert hidden["status"] == ("BLOCKED" if name == "hidden-0" else "PASS"), hidden
        assert hidden["recorded_version"] == "v1.32.6-3"
    down = clusters["hidden-down"]
    assert down["source"] == "platform-proxy" and down["status"] == "UNKNOWN"
    assert down["error"]["category"] == "http" and "503" in down["error"]["message"]
    assert not any(c["source"] == "platform-record" for c in full["clusters"])
    assert any("scanned through the platform at" in n for n in full["platform"]["notes"])


def test_proxied_clusters_share_connections(gate_fleet: RunningFleet) -> None:
    """Every cluster behind the proxy is one host, one credential, one CA: one pool of kept
    connections serves them all, so 12 clusters (24 requests) at concurrency 4 cost at most
    the pool's connections, not a handshake per request."""
    from scanner.collect import FleetCollector
    from scanner.platform.clusters import ClusterRecord
    from scanner.platform.match import Proxy, proxy_target

    fleet = gate_fleet.fleet
    selected = select_all(Selection(kubeconfigs=(str(gate_fleet.kubeconfig),), global_context="g"))
    assert selected.global_target is not None and fleet.proxy_url is not None
    proxy = Proxy(fleet.proxy_url, selected.global_target)
    targets = [proxy_target(ClusterRecord(name), proxy, None) for name in HIDDEN]
    before = fleet.proxy_stats()
    observations = FleetCollector(CollectOptions(timeout=3, concurrency=4))(targets)
    after = fleet.proxy_stats()
    assert before is not None and after is not None
    assert all(o.error is None and o.nodes is not None for o in observations)
    requests = after.requests - before.requests
    handshakes = after.connections - before.connections
    assert requests == 2 * len(HIDDEN)
    assert handshakes <= 8, (handshakes, requests)  # the pool: 2 requests x 4 clusters


def test_proxied_clusters_take_turns_in_the_pool_within_their_budgets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More clusters in flight than the proxy pool has connections: each waits for its turn
    before its budget starts, so none spends its budget queueing for a connection (with 12
    clusters over 3 connections and 0.6 s per answer, the last would wait 3.6 s of a 3 s
    budget), and the pool is never re-built: its 3 connections."""
    from scanner.collect import FleetCollector
    from scanner.platform.clusters import ClusterRecord
    from scanner.platform.match import Proxy, proxy_target

    monkeypatch.setattr("scanner.collect.PROXY_POOL", 3)
    monkeypatch.setattr("scanner.collect.cluster.PROXY_POOL", 3)
    slow = tuple(f"slow-{i}" for i in range(12))
    platform = PlatformSpec(
        clusters=(
            PlatformCluster("g", version="v1.34.5-1"),
            *(PlatformCluster(name, version="v1.32.6-3") for name in slow),
        )
    )
    specs = [
        ClusterSpec("g", "v1.34.5-1", node_count=1, platform=platform),
        *(ClusterSpec(name, "v1.32.6-3", node_count=1, latency=0.6) for name in slow),
    ]
    with Fleet(specs, lifetime=120) as fleet:
        path = fleet.write_kubeconfig(tmp_path / "kc.yaml", omit=slow, via_proxy=("g",))
        selected = select_all(Selection(kubeconfigs=(str(path),), global_context="g"))
        assert selected.global_target is not None and fleet.proxy_url is not None
        proxy = Proxy(fleet.proxy_url, selected.global_target)
        targets = [proxy_target(ClusterRecord(name), proxy, None) for name in slow]
        options = CollectOptions(timeout=3, retries=0, concurrency=12)
        observations = FleetCollector(options)(targets)
        stats = fleet.proxy_stats()
    assert [o.error for o in observations] == [None] * len(slow)
    assert all(o.nodes is not None and o.nodes.count == 1 for o in observations)
    assert stats is not None and stats.connections <= 3, stats


def test_no_platform_proxy_reports_from_the_record(gate_fleet: RunningFleet, cli: Any) -> None:
    _, report = scan(cli, gate_fleet, "g", "--context", "w-ok", "--no-platform-proxy")
    hidden = by_context(report)["hidden-0"]
    assert hidden["source"] == "platform-record"
    assert "not-scanned/hidden-0" in ids(hidden)


def test_context_globs_apply_to_proxied_clusters(gate_fleet: RunningFleet, cli: Any) -> None:
    _, report = scan(
        cli, gate_fleet, "g", "--context", "hidden-1*", "--exclude", "hidden-11",
        "--context", "nothing-*",
    )  # fmt: skip
    names = [c["context"] for c in report["clusters"]]
    assert names == ["g", "hidden-1", "hidden-10"]
    notes = report["platform"]["notes"]
    assert any(n.startswith("--context 'nothing-*' matched no context") for n in notes)
    assert any("left out by --context/--exclude" in n for n in notes)


def test_a_pattern_matching_nothing_is_still_a_usage_error_without_a_proxy(
    gate_fleet: RunningFleet, cli: Any
) -> None:
    result = cli(
        "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(gate_fleet.kubeconfig),
        "--global-context", "g-old", "--context", "nothing-*", "--no-progress",
    )  # fmt: skip
    assert result.code == 2 and "matches no context" in result.err


def test_platform_url_gives_the_proxy_for_a_direct_global_context(
    gate_fleet: RunningFleet, cli: Any, tmp_path: Path
) -> None:
    direct = gate_fleet.fleet.write_kubeconfig(
        tmp_path / "direct.yaml", omit=(*HIDDEN, "hidden-down")
    )
    fleet = RunningFleet(gate_fleet.fleet, direct)
    _, report = scan(cli, fleet, "g", "--context", "w-ok")
    assert by_context(report)["hidden-3"]["source"] == "platform-record"  # nothing to derive
    proxy = gate_fleet.fleet.proxy_url
    assert proxy is not None
    _, report = scan(cli, fleet, "g", "--context", "hidden-3", "--platform-url", proxy + "/")
    assert by_context(report)["hidden-3"]["source"] == "platform-proxy"
    assert by_context(report)["hidden-3"]["status"] == "PASS"


# -- 2. per-cluster upgrade controller state ----------------------------------------------


def test_each_cluster_gets_its_own_shadow(full: dict[str, Any]) -> None:
    clusters = by_context(full)
    failed = clusters["w-failed"]
    assert failed["status"] == "BLOCKED"
    assert ids(failed) == {
        "preflight/w-failed/ClusterModuleStable": "blocker",
        "preflight/w-failed/PlatformLicense": "warning",
    }
    assert failed["upgrade_controller"]["shadow"] == "cpaas-system/w-failed"
    assert clusters["w-ok"]["status"] == "PASS"
    assert clusters["w-ok"]["upgrade_controller"]["preflight"]["checks"][0]["state"] == "Passed"
    stalled = clusters["w-stalled"]
    assert ids(stalled) == {
        "upgrade-stalled/w-stalled": "warning",
        "upgrade-in-progress/w-stalled": "info",
    }
    controller = stalled["upgrade_controller"]
    assert (controller["current"], controller["desired"]) == ("4.2.3", "4.3.0")
    assert controller["last_update"] == {
        "version": "4.3.0", "state": "Partial", "started": "2025-06-01T10:00:00Z", "completed": ""
    }  # fmt: skip
    # No result is shown, never a pass: an info finding and "no result yet" in every format.
    assert ids(clusters["w-noresult"]) == {"preflight-pending/w-noresult": "info"}
    assert clusters["w-noresult"]["upgrade_controller"]["preflight"] is None
    assert ids(clusters["w-noshadow"]) == {"preflight-pending/w-noshadow": "info"}
    assert clusters["w-noshadow"]["upgrade_controller"] is None


def test_the_shadow_group_is_found_by_api_discovery(gate_fleet: RunningFleet) -> None:
    selected = select_all(Selection(kubeconfigs=(str(gate_fleet.kubeconfig),), global_context="g"))
    assert selected.global_target is not None
    found = loop.run(discover(selected.global_target, CollectOptions(timeout=3)))
    assert set(found.controllers) >= {"g", "w-ok", "w-failed"} - {"g"}
    assert found.current_version == "4.2.3"
    assert found.etcd_backup is None and "not found" in found.etcd_backup_problem
    assert found.pending_csrs == 0


def test_disabled_checks_are_in_every_report(
    full: dict[str, Any], cli: Any, tmp_path: Path
) -> None:
    assert full["platform"]["disabled_checks"] == ["PlatformLicense", "ClusterVersionUpgradeable"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(full))
    markdown = cli("report", str(path), "--markdown", "-").out
    assert (
        "**Checks disabled in cvo-config:** PlatformLicense, ClusterVersionUpgradeable" in markdown
    )
    html = cli("report", str(path), "--html", "-").out
    assert (
        "Checks disabled in cvo-config:</strong> PlatformLicense, ClusterVersionUpgradeable" in html
    )
    assert (
        "Upgrade operator and extensions" in html and "Upgrade operator and extensions" in markdown
    )


# -- 3. current version before 4.3 --------------------------------------------------------


def test_productbase_gives_the_current_version_before_43(
    gate_fleet: RunningFleet, cli: Any
) -> None:
    result = cli(
        "scan", "--target", "4.3", "--kubeconfig", str(gate_fleet.kubeconfig),
        "--global-context", "g-old", "--context", "w-ok", "--timeout", "3",
        "--no-progress", "--json", "-",
    )  # fmt: skip
    report = json.loads(result.out)
    platform = report["platform"]
    assert platform["current_version"] == "4.1.2"
    assert platform["current_version_source"] == "productbase"
    assert platform["discovered_version"] == "v4.1.2"
    # 4.1 is a supported source of 4.3: the path is verified from the ProductBase version.
    path = next(f for f in by_context(report)["g-old"]["findings"] if f["rule"] == "upgrade-path")
    assert path["severity"] == "info" and "4.1" in path["message"]
    assert any(n.startswith("clusterversionshadows") for n in platform["notes"])
    # ConfigMaps that do not exist are empty (nothing disabled, no gate); read, not unknown.
    assert platform["disabled_checks"] == [] and platform["gates"] == []
    assert by_context(report)["g-old"]["extensions"] == []
    # --from still wins.
    _, flagged = scan(cli, gate_fleet, "g-old", "--context", "w-ok")
    assert flagged["platform"]["current_version_source"] == "flag"


# -- 4. extensions, cluster modules, cluster phase ----------------------------------------


def test_extensions_cluster_modules_and_phase(full: dict[str, Any]) -> None:
    clusters = by_context(full)
    ext = clusters["w-ext"]
    assert ids(ext) == {"extension/w-ext/stuck": "blocker", "extension/w-ext/moving": "warning"}
    moving = next(f for f in ext["findings"] if f["id"] == "extension/w-ext/moving")
    assert (
        "between versions (runs v4.1.0, wants v4.2.0, moving through v4.2.0)" in (moving["message"])
    )
    inventory = {e["module"]: e for e in ext["extensions"]}
    assert set(inventory) == {"ok-mod", "moving", "stuck"}
    assert inventory["moving"]["transit_version"] == "v4.2.0"
    assert inventory["stuck"]["block_reasons"] == ["needs v4.2 before the platform upgrade"]
    assert clusters["w-ok"]["extensions"] == []  # read, none installed
    module = clusters["w-mod"]
    assert ids(module) == {"cluster-module/w-mod": "warning"}
    message = next(f["message"] for f in module["findings"] if f["rule"] == "cluster-module")
    assert "deployStatus DeployFailed" in message and "chart pull failed" in message
    assert ids(clusters["w-phase"]) == {"cluster-phase/w-phase": "warning"}


# -- 5. gates and resource patches --------------------------------------------------------


def test_gates_and_resource_patches_block_the_global_cluster(full: dict[str, Any]) -> None:
    found = by_context(full)["g"]
    assert found["status"] == "BLOCKED"
    assert ids(found) == {
        "admin-gate/ack-4.3-open": "blocker",
        "admin-gate/plain-gate": "blocker",  # "false" is no acknowledgement
        "resource-patch/g/p-old": "blocker",
        "resource-patch/g/p-none": "blocker",
    }
    gate = next(f for f in found["findings"] if f["id"] == "admin-gate/ack-4.3-open")
    assert gate["remediation"].endswith(
        "kubectl -n cpaas-system patch configmap admin-acks --type=merge "
        """-p '{"data":{"ack-4.3-open":"true"}}'"""
    )
    patch = next(f for f in found["findings"] if f["id"] == "resource-patch/g/p-none")
    assert patch["message"] == (
        "resource patch p-none (patches Deployment kube-system/coredns) is not exempted for 4.3"
    )
    assert patch["remediation"].endswith(
        "annotate resourcepatches p-none config.cpaas.io/exempt-for-ver=4.3.0 --overwrite"
    )
    gates = {g["key"]: g for g in full["platform"]["gates"]}
    assert gates["ack-4.4-kubernetes-1.35-kernel-update"]["applies"] is False
    assert gates["ack-4.3-acked"]["acknowledged"] is True
    assert full["platform"]["resource_patches"] == 4  # g's three and hidden-0's one


def test_a_workload_clusters_patches_are_judged_through_the_platform_proxy(
    full: dict[str, Any], gate_fleet: RunningFleet
) -> None:
    hidden = by_context(full)["hidden-0"]
    assert hidden["source"] == "platform-proxy" and hidden["status"] == "BLOCKED"
    assert ids(hidden) == {"resource-patch/hidden-0/p-hidden": "blocker"}
    fix = next(f["remediation"] for f in hidden["findings"] if f["rule"] == "resource-patch")
    proxy = gate_fleet.fleet.proxy_url
    assert f"kubectl --server {proxy}/kubernetes/hidden-0 annotate resourcepatches p-hidden" in fix
    assert [p["name"] for p in hidden["resource_patches"]] == ["p-hidden"]


# -- reads that fail are notes, never failures and never passes ----------------------------


def test_forbidden_new_reads_are_notes_naming_the_rbac_file(
    gate_fleet: RunningFleet, cli: Any
) -> None:
    result, report = scan(cli, gate_fleet, "g-locked", "--context", "w-ok")
    assert result.code == 0, result.out
    platform = report["platform"]
    forbidden = [n for n in platform["notes"] if "not readable (HTTP 403" in n]
    assert len(forbidden) == len(NEW_READS)
    assert all("deploy/rbac.yaml" in n for n in forbidden)
    assert platform["disabled_checks"] is None and platform["gates"] is None
    assert platform["etcd_backup"] is None and platform["pending_csrs"] is None
    assert "etcd-backup" in {m["id"] for m in report["manual_checks"]}  # never a pass
    w_ok = by_context(report)["w-ok"]
    assert w_ok["extensions"] is None and w_ok["upgrade_controller"] is None
    assert w_ok["status"] == "PASS"  # nothing read is nothing found, and says so in notes


def test_missing_api_discovery_falls_back_to_the_documented_groups() -> None:
    from scanner.kube.errors import FetchError
    from scanner.model import ErrorCategory
    from scanner.platform.catalogue import READS
    from scanner.platform.read import resolve_reads

    class NoApis:
        async def get_json(self, path: str, *, limit: int) -> dict[str, Any]:
            raise FetchError(ErrorCategory.AUTH, "HTTP 403 Forbidden", status=403)

    apis, notes = loop.run(resolve_reads(NoApis(), READS))  # type: ignore[arg-type]
    assert {"clusterversionshadows", "moduleinfoes", "productbase"} <= {a.key for a in apis}
    assert len(apis) == len(READS)  # every read has a documented (or assumed) group
    assert notes == [
        "API discovery (GET /apis) failed (auth: HTTP 403 Forbidden); the documented "
        "group/versions were tried"
    ]


# -- the platform CLI's kubeconfig: contexts <session>/<cluster>, acp.io/v1 extension -------

AC_KUBECONFIG = """
apiVersion: v1
kind: Config
current-context: prod/ipi-1
clusters:
- name: acp:prod:global
  cluster:
    server: https://platform.example.com/kubernetes/global
    insecure-skip-tls-verify: true
- name: acp:prod:ipi-1
  cluster:
    server: https://platform.example.com/kubernetes/ipi-1
    insecure-skip-tls-verify: true
- name: acp:prod:edge
  cluster:
    server: https://platform.example.com/kubernetes/edge
    insecure-skip-tls-verify: true
- name: odd
  cluster:
    server: https://10.0.0.9:6443
    insecure-skip-tls-verify: true
users:
- name: acp:prod:user
  user: {token: t}
contexts:
- name: prod/global
  context:
    cluster: acp:prod:global
    user: acp:prod:user
    extensions:
    - name: acp.io/v1
      extension: {isGlobal: true, platformUrl: "https://platform.example.com",
                  sessionName: prod, clusterName: global}
- name: prod/ipi-1
  context: {cluster: acp:prod:ipi-1, user: acp:prod:user}
- name: renamed
  context: {cluster: acp:prod:edge, user: acp:prod:user}
- name: by-extension
  context:
    cluster: odd
    user: acp:prod:user
    extensions:
    - name: acp.io/v1
      extension: {clusterName: far-away, isGlobal: "false"}
"""


def test_platform_cli_contexts_match_their_records_and_mark_the_global(tmp_path: Path) -> None:
    from scanner.inputs.targets import platform_base
    from scanner.model import Role
    from scanner.platform.clusters import ClusterRecord
    from scanner.platform.match import match_records

    path = tmp_path / "ac.yaml"
    path.write_text(AC_KUBECONFIG)
    selected = select_all(Selection(kubeconfigs=(str(path),)))
    # current-context is a workload: the extension's isGlobal decides the global context.
    assert selected.global_target is not None
    assert selected.global_target.context == "prod/global"
    assert [t.role for t in selected.targets][:1] == [Role.GLOBAL]
    records = [ClusterRecord(n) for n in ("global", "ipi-1", "edge", "far-away")]
    matches = match_records(selected.targets, records)
    assert {c: r.name for c, r in matches.items()} == {
        "prod/global": "global",  # extension clusterName
        "prod/ipi-1": "ipi-1",  # <session>/<cluster>
        "renamed": "edge",  # cluster entry acp:<session>:<cluster>
        "by-extension": "far-away",  # extension clusterName, the strongest match
    }
    # The proxy address comes from the global context's server.
    assert platform_base(selected.global_target) == "https://platform.example.com"
    assert platform_base(selected.global_target, "https://other/") == "https://other"
