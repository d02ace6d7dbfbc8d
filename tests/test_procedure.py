"""The vendor's pre-upgrade procedure, item by item (PLATFORM.md section 8), as a user runs it:
the real CLI against a simulated platform on loopback, through the real kubernetes client.

- patch upgrades (``--target 4.2.1 --from 4.2.0``) judged by their own release;
- Docker judged per target release (4.3 rejects it; earlier targets get an info);
- every cluster's own ResourcePatches (read, forbidden, no such API);
- extensions judged by their versions and conditions, the ClusterModule's phase,
  conditions and platform version;
- the global cluster's etcd backup (none, failed, old, paused, unreadable time, not
  readable) and its pending certificate requests; nodes not Ready;
- how old the evidence is: a stale preflight, one run for another version, the window
  removed-API usage was counted in, the end of the removals data;
- the manual checklist, in every report format, which never changes the verdict.

The platform's facts are dated relative to now, as the platform writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from simfleet import ClusterSpec, Fleet, NodeSpec
from simfleet.platform import PlatformCluster, PlatformSpec
from tests.conftest import CliResult, RunningFleet, by_context, load_json, scan_json


def ago(hours: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


PASSED = [{"name": "VersionUpgradePath", "policy": "Always", "state": "Passed"}]
FRESH = ago(1)


def shadow(observed: str = FRESH, desired: str = "4.3.0") -> dict[str, Any]:
    return {
        "current": {"version": "4.2.3"},
        "desired": {"version": desired},
        "preflight": {"observedAt": observed, "checks": PASSED},
    }


def record(hours: float, result: str = "Success", name: str = "") -> dict[str, str]:
    return {
        "backupTimestamp": ago(hours),
        "fileName": name or f"etcd-snapshot-{int(hours)}h.db",
        "result": result,
    }


def platform(
    name: str, *clusters: PlatformCluster, etcd: Mapping[str, Any] | None, **extra: Any
) -> PlatformSpec:
    return PlatformSpec(
        clusters=(PlatformCluster(name, version="v1.34.5-1"), *clusters),
        current={"version": "4.2.3"},
        preflight=PASSED,
        observed_at=FRESH,
        etcd_backup=etcd,
        **extra,
    )


MAIN = platform(
    "g",
    PlatformCluster(
        "w-ext",
        version="v1.33.2-1",
        shadow=shadow(),
        modules=(
            # Same versions, phase Pending only: shown, not judged.
            {"module": "pending-only", "version": "v4.2.0", "phase": "Pending"},
            # No lifecycle label at all: "unknown", never guessed.
            {"module": "unlabelled", "version": "v4.2.0", "lifecycle": None},
            {"module": "moving", "version": "v4.1.0", "target": "v4.2.0", "phase": "Running"},
            {
                "module": "unwell",
                "version": "v4.2.0",
                "conditions": [
                    {"type": "Ready", "status": "False", "reason": "ChartFailed"},
                    {"type": "Synced", "status": "True"},
                ],
            },
        ),
    ),
    PlatformCluster(
        "w-mod",
        version="v1.33.2-1",
        shadow=shadow(),
        platform_version="v4.2.3",
        cluster_module={
            "base": {"deployStatus": "Completed", "runningStatus": "Healthy"},
            "phase": "Deploying",
            "conditions": [{"type": "Synced", "status": "False", "reason": "Pending"}],
        },
    ),
    # Its preflight ran 12 days ago, for 4.4.0: stale, and for another version.
    PlatformCluster("w-stale", version="v1.33.2-1", shadow=shadow(ago(12 * 24), "4.4.0")),
    etcd={"records": [record(30), record(2, "Failed")]},
    csrs=({"name": "csr-pending", "state": "pending"}, {"name": "csr-done", "state": "approved"}),
)
# One global cluster per etcd backup case; each with one healthy workload beside it.
ETCD_CASES: dict[str, Mapping[str, Any] | None] = {
    "g-clean": {"records": [record(30), record(1)]},
    "g-nobackup": None,  # the Cluster Enhancer plugin is not installed: 404
    "g-never": {"records": [record(5, "Failed"), record(2, "Failed")]},
    "g-old": {"records": [record(40)]},
    "g-paused": {"paused": True, "records": [record(1)]},
    "g-garbled": {
        "records": [{"backupTimestamp": "yesterday", "fileName": "a.db", "result": "Success"}]
    },
}
LOCKED = platform(
    "g-locked",
    etcd={"records": [record(1)]},
    forbidden=("etcd-backup", "certificatesigningrequests"),
)
UNEXEMPT = {"name": "coredns-tune", "namespace": "kube-system", "target": "coredns"}
EXEMPT = {"name": "alb-tune", "namespace": "cpaas-system", "target": "alb", "exempt_for": "4.3.0"}
DOCKER = "docker://24.0.7"


def specs() -> list[ClusterSpec]:
    main_nodes = (NodeSpec(), NodeSpec(ready=False), NodeSpec())
    return [
        ClusterSpec("g", "v1.34.5-1", nodes=main_nodes, platform=MAIN),
        *(ClusterSpec(name, "v1.33.2-1", node_count=1) for name in ("w-ext", "w-mod", "w-stale")),
        ClusterSpec("w-notready", "v1.33.2-1", nodes=(NodeSpec(ready=False), NodeSpec())),
        ClusterSpec("w-docker", "v1.32.4", nodes=(NodeSpec(), NodeSpec(container_runtime=DOCKER))),
        ClusterSpec("w-patch", "v1.33.2-1", node_count=1, resource_patches=(UNEXEMPT, EXEMPT)),
        ClusterSpec("w-forbid", "v1.33.2-1", node_count=1, patches_status=403),
        ClusterSpec("w-noapi", "v1.33.2-1", node_count=1, patches_status=404),
        # Must move into the window; its API server started 5 hours ago.
        ClusterSpec("w-young", "v1.30.6", node_count=1, uptime_hours=5),
        ClusterSpec("w-fine", "v1.33.2-1", node_count=1),
        *(
            ClusterSpec(name, "v1.34.5-1", node_count=1, platform=platform(name, etcd=etcd))
            for name, etcd in ETCD_CASES.items()
        ),
        ClusterSpec("g-locked", "v1.34.5-1", node_count=1, platform=LOCKED),
    ]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    with Fleet(specs(), lifetime=600) as running:
        path = running.write_kubeconfig(tmp_path_factory.mktemp("procedure") / "kubeconfig.yaml")
        yield RunningFleet(running, path)


def scan(
    cli: Any, fleet: RunningFleet, global_context: str, *extra: str, target: str = "4.3"
) -> tuple[CliResult, dict[str, Any]]:
    return scan_json(cli, fleet.kubeconfig, "--global-context", global_context, *extra,
                     target=target)  # fmt: skip


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for c in report["clusters"] for f in c["findings"]}


@pytest.fixture(scope="module")
def main(fleet: RunningFleet) -> dict[str, Any]:
    """One scan of g with the workloads of the procedure (not the other globals)."""
    import contextlib
    import io

    from scanner.cli import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run([
            "scan", "--target", "4.3", "--kubeconfig", str(fleet.kubeconfig),
            "--global-context", "g", "--context", "w-*", "--timeout", "3", "--retries", "0",
            "--no-progress", "--json", "-",
        ])  # fmt: skip
    assert code == 1
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


# -- patch upgrades -------------------------------------------------------------------------


def test_a_patch_upgrade_is_judged_by_its_release_and_keeps_its_full_version(
    fleet: RunningFleet, cli: Any, tmp_path: Path
) -> None:
    metrics = tmp_path / "scan.prom"
    out = tmp_path / "runs"
    result, report = scan(
        cli, fleet, "g-clean", "--context", "w-fine", "--from", "4.2.0",
        "--output-dir", str(out), "--metrics-file", str(metrics), target="4.2.1",
    )  # fmt: skip
    assert (report["target"], report["from"]) == ("4.2.1", "4.2.0")
    path = findings(report)["upgrade-path/g-clean"]
    assert path["severity"] == "info" and "patch upgrade within 4.2" in path["message"]
    # Within 4.2 the current release is 4.2: its latest compatible minor, 1.33, is the goal.
    assert by_context(report)["w-fine"]["status"] == "PASS", report
    names = sorted(p.name for p in out.iterdir() if p.name.startswith("readiness-"))
    assert names and all(n.startswith("readiness-4.2.1-") for n in names), names
    assert 'target="4.2.1"' in metrics.read_text(encoding="utf-8")
    assert result.code == 0


def test_a_patch_upgrade_reads_its_from_version_from_the_global_cluster(
    fleet: RunningFleet, cli: Any
) -> None:
    _, report = scan(cli, fleet, "g-clean", "--context", "w-fine", target="4.2.5")
    assert report["from"] == "4.2.3"  # the full version the global cluster reports
    assert "patch upgrade within 4.2" in findings(report)["upgrade-path/g-clean"]["message"]


@pytest.mark.parametrize(
    ("target", "current", "says"),
    [
        ("4.2", "4.3", "is newer than --target 4.2: a platform is never downgraded"),
        ("4.2.1", "4.2.3", "is newer than --target 4.2.1: a platform is never downgraded"),
        ("4.2.3", "4.2.3", "same"),
    ],
)
def test_a_downgrade_or_no_change_is_refused_in_one_line(
    fleet: RunningFleet, cli: Any, target: str, current: str, says: str
) -> None:
    result = cli(
        "scan", "--target", target, "--from", current, "--kubeconfig", str(fleet.kubeconfig),
        "--global-context", "g-clean", "--context", "w-fine", "--no-progress",
    )  # fmt: skip
    assert result.code == 2 and result.out == ""
    assert says in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err


def test_onboarding_takes_a_patch_target(fleet: RunningFleet, cli: Any) -> None:
    result = cli(
        "onboarding", "--target", "4.3.1", "--kubeconfig", str(fleet.kubeconfig),
        "--context", "w-fine", "--no-progress", "--json", "-",
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    assert json.loads(result.out)["target"] == "4.3.1"


# -- Docker per release ---------------------------------------------------------------------


def test_docker_blocks_a_43_target_and_is_an_info_before(fleet: RunningFleet, cli: Any) -> None:
    _, to_43 = scan(cli, fleet, "g-clean", "--context", "w-docker", "--from", "4.2")
    runtime = findings(to_43)["runtime/w-docker/docker"]
    assert runtime["severity"] == "blocker" and DOCKER in runtime["message"]
    _, to_42 = scan(cli, fleet, "g-clean", "--context", "w-docker", "--from", "4.1", target="4.2")
    runtime = findings(to_42)["runtime/w-docker/docker"]
    assert runtime["severity"] == "info" and "4.3" in runtime["message"], runtime
    assert by_context(to_42)["w-docker"]["status"] == "PASS"


# -- every cluster's resource patches -------------------------------------------------------


def test_an_unexempted_patch_blocks_its_cluster_with_the_exact_annotate(
    main: dict[str, Any],
) -> None:
    patched = by_context(main)["w-patch"]
    assert {p["name"] for p in patched["resource_patches"]} == {"coredns-tune", "alb-tune"}
    found = findings(main)
    blocker = found["resource-patch/w-patch/coredns-tune"]
    assert blocker["severity"] == "blocker"
    assert blocker["remediation"].endswith(
        "kubectl --context w-patch annotate resourcepatches coredns-tune "
        "config.cpaas.io/exempt-for-ver=4.3.0 --overwrite"
    )
    assert "resource-patch/w-patch/alb-tune" not in found  # exempt for 4.3.0
    assert patched["status"] == "BLOCKED"


def test_patches_forbidden_or_not_installed_go_to_the_manual_checklist(
    main: dict[str, Any],
) -> None:
    clusters = by_context(main)
    assert clusters["w-forbid"]["resource_patches"] is None
    assert clusters["w-noapi"]["resource_patches"] is None  # a 404 is never "none"
    check = {m["id"]: m for m in main["manual_checks"]}["resource-patches"]
    assert "w-forbid" in check["text"] and "w-noapi" in check["text"]
    assert "HTTP 403" in check["reason"], check
    assert "the ResourcePatch API is not installed on this cluster" in check["reason"], check
    # Every cluster of the scan was asked, the global cluster too.
    assert clusters["g"]["resource_patches"] == []


# -- extensions and the cluster module ------------------------------------------------------


def test_extensions_are_judged_by_versions_and_conditions(main: dict[str, Any]) -> None:
    cluster = by_context(main)["w-ext"]
    extensions = {e["module"]: e for e in cluster["extensions"]}
    assert extensions["unlabelled"]["lifecycle"] == "unknown"
    assert extensions["pending-only"]["phase"] == "Pending"
    found = findings(main)
    assert "extension/w-ext/pending-only" not in found  # a phase alone is shown, not judged
    assert "extension/w-ext/unlabelled" not in found
    moving = found["extension/w-ext/moving"]
    assert moving["severity"] == "warning"
    assert "between versions (runs v4.1.0, wants v4.2.0)" in moving["message"]
    unwell = found["extension/w-ext/unwell"]
    assert "condition Ready is False (ChartFailed)" in unwell["message"]
    assert "Synced" not in unwell["message"]
    conditions = {c["type"]: c["status"] for c in extensions["unwell"]["conditions"]}
    assert conditions == {"Ready": "False", "Synced": "True"}


def test_the_cluster_module_shows_its_phase_conditions_and_platform_version(
    main: dict[str, Any],
) -> None:
    cluster = by_context(main)["w-mod"]
    assert cluster["platform_version"] == "v4.2.3"
    module = findings(main)["cluster-module/w-mod"]
    assert module["severity"] == "warning"
    assert "phase Deploying" in module["message"]
    assert "condition Synced is False" in module["message"]


# -- the global cluster's etcd backup, nodes and certificate requests ------------------------


def test_the_main_global_cluster(main: dict[str, Any]) -> None:
    found = findings(main)
    backup = found["etcd-backup/g"]
    assert backup["severity"] == "blocker"
    assert "did not succeed: result Failed" in backup["message"]
    nodes = found["node-health/g"]
    assert nodes["severity"] == "blocker" and nodes["message"] == "1 of 3 nodes not Ready"
    csr = found["pending-csr/g"]
    assert csr["severity"] == "warning" and csr["message"].startswith("1 certificate signing")
    platform_section = main["platform"]
    assert platform_section["pending_csrs"] == 1
    etcd = platform_section["etcd_backup"]
    assert etcd["records"] == 2 and etcd["newest"]["result"] == "Failed"
    assert etcd["newest_success"]["file"] == "etcd-snapshot-30h.db"
    assert by_context(main)["g"]["nodes"]["not_ready"] == 1


def test_a_workload_node_not_ready_is_a_warning(main: dict[str, Any]) -> None:
    notready = findings(main)["node-health/w-notready"]
    assert notready["severity"] == "warning" and notready["message"] == "1 of 2 nodes not Ready"
    assert by_context(main)["w-notready"]["status"] == "WARN"


@pytest.mark.parametrize(
    ("global_context", "severity", "says"),
    [
        ("g-clean", None, ""),
        ("g-never", "blocker", "records no successful etcd backup (2 records)"),
        ("g-old", "warning", "40 hours old, older than 1 day"),
        ("g-paused", "warning", "etcd-backup-default is paused: no new backup is taken"),
        ("g-garbled", "warning", "has no readable time ('yesterday'): its age is not known"),
    ],
)
def test_each_etcd_backup_case(
    fleet: RunningFleet, cli: Any, global_context: str, severity: str | None, says: str
) -> None:
    _, report = scan(cli, fleet, global_context, "--context", "w-fine", "--from", "4.2")
    found = findings(report).get(f"etcd-backup/{global_context}")
    if severity is None:
        assert found is None and report["verdict"] == "READY", report
        return
    assert found is not None and found["severity"] == severity
    assert says in found["message"], found["message"]
    assert "etcd-backup" not in {m["id"] for m in report["manual_checks"]}  # it was read


def test_max_backup_age_moves_the_limit(fleet: RunningFleet, cli: Any) -> None:
    _, report = scan(cli, fleet, "g-old", "--context", "w-fine", "--max-backup-age", "2d")
    assert "etcd-backup/g-old" not in findings(report)
    _, report = scan(cli, fleet, "g-clean", "--context", "w-fine", "--max-backup-age", "30m")
    assert "older than 30 minutes" in findings(report)["etcd-backup/g-clean"]["message"]


@pytest.mark.parametrize("value", ["0h", "7", "1.5d", "-1d", "week"])
def test_a_bad_duration_is_one_line(fleet: RunningFleet, cli: Any, value: str) -> None:
    result = cli(
        "scan", "--target", "4.3", "--kubeconfig", str(fleet.kubeconfig),
        "--max-preflight-age", value,
    )  # fmt: skip
    assert result.code == 2 and "--max-preflight-age" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("global_context", "reason"),
    [("g-nobackup", "not readable here"), ("g-locked", "not readable here")],
)
def test_an_etcd_backup_not_read_is_a_manual_check_never_a_pass(
    fleet: RunningFleet, cli: Any, global_context: str, reason: str
) -> None:
    _, report = scan(cli, fleet, global_context, "--context", "w-fine", "--from", "4.2")
    assert report["platform"]["etcd_backup"] is None
    check = {m["id"]: m for m in report["manual_checks"]}["etcd-backup"]
    assert check["reason"].startswith(reason)
    detail = "403" if global_context == "g-locked" else "404"
    assert detail in check["reason"] or "not found" in check["reason"], check
    assert check["source"].startswith("https://docs.alauda.io/")
    if global_context == "g-locked":
        assert report["platform"]["pending_csrs"] is None  # forbidden too: not read, not zero


# -- how old the evidence is ----------------------------------------------------------------


def test_a_stale_preflight_for_another_version(fleet: RunningFleet, main: dict[str, Any]) -> None:
    found = findings(main)
    stale = found["preflight-stale/w-stale"]
    assert (
        stale["severity"] == "warning" and "(12 days ago, older than 1 week)" in (stale["message"])
    )
    other = found["preflight-target/w-stale"]
    assert other["severity"] == "info" and "set to 4.4.0, not to 4.3" in other["message"]
    assert "preflight-stale/w-ext" not in found  # observed an hour ago


def test_max_preflight_age_moves_the_limit(fleet: RunningFleet, cli: Any) -> None:
    _, report = scan(cli, fleet, "g", "--context", "w-stale", "--max-preflight-age", "30d")
    assert "preflight-stale/w-stale" not in findings(report)


def test_removed_api_usage_says_since_when_it_was_counted(main: dict[str, Any]) -> None:
    plan = by_context(main)["w-young"]["plan"]
    counted = [n for n in plan["notes"] if n.startswith("removed-API usage counted since")]
    assert len(counted) == 1, plan["notes"]
    assert "(the API server's start): a short evidence window (5 hours)" in counted[0]


def test_a_plan_beyond_the_removals_data_says_so(fleet: RunningFleet, cli: Any) -> None:
    result = cli(
        "plan", "--to", "1.33", "--kubeconfig", str(fleet.kubeconfig), "--context", "w-young",
        "--no-progress", "--json", "-",
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    (cluster,) = (c for c in json.loads(result.out)["clusters"] if c["context"] == "w-young")
    notes = cluster["plan"]["notes"]
    assert any(n.startswith("the removals data ends at Kubernetes 1.32") for n in notes), notes
    assert any("1.33 not checked for removed APIs" in n for n in notes), notes


# -- the manual checklist -------------------------------------------------------------------


def test_the_manual_checklist_is_in_every_format_and_never_changes_the_verdict(
    fleet: RunningFleet, cli: Any, tmp_path: Path
) -> None:
    result = cli(
        "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(fleet.kubeconfig),
        "--global-context", "g-clean", "--context", "w-fine", "--no-progress",
        "--output-dir", str(tmp_path),
    )  # fmt: skip
    assert result.code == 0, result.out  # READY with a checklist to do by hand
    report = load_json(tmp_path / "latest.json")
    assert report["verdict"] == "READY"
    checks = {m["id"]: m for m in report["manual_checks"]}
    # The release's own checks for 4.3, each with its source page.
    assert {"minio-free-space", "global-dr", "packages", "containerd-2"} <= set(checks)
    assert all(m["source"].startswith("https://docs.alauda.io/") for m in checks.values())
    assert "upgrading from" not in checks["minio-free-space"]["reason"]
    # A check whose condition names a module is dropped when no such module is installed
    # (TopoLVM applies from 4.0 only; from 4.2 it is dropped whatever is installed).
    assert "topolvm-package" not in checks
    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "## Manual checklist" in markdown
    checklist = markdown.split("## Manual checklist")[1].split("\n## ")[0]
    assert checklist.count("\n- [ ] ") == len(checks)
    html = (tmp_path / "latest.html").read_text(encoding="utf-8")
    assert all(f'data-check="{check}"' in html for check in checks)
    assert f"manual: {len(checks)} checks to do by hand" in result.out
    assert "minio-free-space" in result.out


def test_a_checklist_condition_on_the_current_version(fleet: RunningFleet, cli: Any) -> None:
    _, report = scan(cli, fleet, "g-clean", "--context", "w-fine", "--from", "4.0")
    checks = {m["id"]: m for m in report["manual_checks"]}
    # From 4.0, TopoLVM would apply, but only where a topolvm module is installed.
    assert "topolvm-package" not in checks
    _, report = scan(
        cli, fleet, "g-clean", "--context", "w-fine", "--no-discovery", "--from", "4.0"
    )
    checks = {m["id"]: m for m in report["manual_checks"]}
    # Without discovery nothing says which modules are installed: it may apply, so it is
    # listed with the reason; and the etcd backup was not read.
    assert "may apply" in checks["topolvm-package"]["reason"]
    assert "upgrading from 4.0" in checks["topolvm-package"]["reason"]
    assert "platform discovery did not run" in checks["etcd-backup"]["reason"]
    assert "w-fine" in checks["resource-patches"]["text"]
