"""The one canonical report every renderer test uses.

It has every status and verdict ingredient and every section of the report (an upgrade
plan, the platform's upgrade-operator view, extensions, admin gates, resource patches, the
etcd backup, node health, the manual checklist, changes since the previous run), with the
rule ids the product emits, and the values that break naive renderers: a context name that
is HTML and a table pipe, a multi-line error message, backticks, a server host that also
appears (dashed, as ``oc login`` writes it) inside a context name, and so inside finding
ids, plan finding ids and changes.
"""

from __future__ import annotations

from dataclasses import replace

from scanner.model import (
    Access,
    BackupRecord,
    Condition,
    CurrentSource,
    ErrorCategory,
    EtcdBackup,
    Extension,
    Finding,
    Gate,
    HistoryEntry,
    KindSource,
    ManualCheck,
    NodeSummary,
    PlanStep,
    Preflight,
    PreflightCheck,
    ProgressPoint,
    ResourcePatch,
    Roadmap,
    RoadmapAction,
    RoadmapWindow,
    Role,
    ScanError,
    Severity,
    Status,
    UpgradeController,
    UpgradePlan,
    Verdict,
    finding,
)
from scanner.report import Change, Changes, ClusterResult, PlatformSection, PolicyRef, Report
from scanner.versions import parse_git_version

HOSTILE_CONTEXT = "<img src=x onerror=alert(1)>|pipe"
OCP_CONTEXT = "default/api-ocp-prod-example-com:6443/kube:admin"
WINDOW = ["1.31", "1.32", "1.33", "1.34"]
# Every host a redacted report must not mention, in any spelling the report uses.
SERVER_HOSTS = (
    "global.platform.example.com",
    "ipi-prod.platform.example.com",
    "hcp-tenant-a.platform.example.com",
    "ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com",
    "10.20.30.40",
    "api.ocp-prod.example.com",
    "api-ocp-prod-example-com",
    "34.120.1.9",
    "aks-dev-4f2a.hcp.westeurope.azmk8s.io",
    "corp-proxy.example.net",
    "dr-standby.platform.example.com",
)
MULTILINE_ERROR = (
    'Get "https://34.120.1.9:443/version": context deadline exceeded\n'
    "(Client.Timeout exceeded while awaiting headers)\n"
    "via proxy http://corp-proxy.example.net:3128"
)


def _finding(rule: str, context: str, severity: Severity, message: str, fix: str = "") -> Finding:
    return finding(rule, context, severity, message, fix)


def clusters() -> tuple[ClusterResult, ...]:
    window_fix = "Upgrade the cluster one minor at a time: {path}, then re-run the scan."
    return (
        ClusterResult(
            context="global",
            name="global",
            role=Role.GLOBAL,
            kind="ipi",
            provider="platform",
            server="https://global.platform.example.com:6443",
            status=Status.PASS,
            version=parse_git_version("v1.33.7-4"),
            nodes=NodeSummary(
                3,
                {"v1.33.7-4": 3},
                {"containerd://1.7.22": 3},
                kernel_versions={"5.14.0-427.el9.x86_64": 2, "6.1.0-<b>27</b>-amd64": 1},
                os_images={"Red Hat Enterprise Linux 9.4 | Plow": 2, "Debian 12": 1},
            ),
            findings=(
                _finding(
                    "upgrade-path", "global", Severity.INFO, "Upgrade path 4.2 -> 4.3 is supported."
                ),
            ),
        ),
        ClusterResult(
            context="ipi-prod",
            name="Production (IPI)",
            role=Role.WORKLOAD,
            kind="ipi",
            provider="platform",
            server="https://ipi-prod.platform.example.com:6443",
            status=Status.PASS,
            version=parse_git_version("v1.33.7-4"),
            nodes=NodeSummary(12, {"v1.33.7-4": 12}, {"containerd://1.7.22": 12}),
            owner="team-payments",
            resource_patches=(),
            platform_version="v4.2.3",
        ),
        ClusterResult(
            context="hcp-tenant-a",
            name="hcp-tenant-a",
            role=Role.WORKLOAD,
            kind="hosted",
            provider="platform",
            server="https://hcp-tenant-a.platform.example.com:6443",
            status=Status.WARN,
            version=parse_git_version("v1.31.12-1"),
            nodes=NodeSummary(2, {"v1.31.12-1": 2}, {"containerd://1.7.22": 2}, not_ready=1),
            findings=(
                _finding(
                    "node-health",
                    "hcp-tenant-a",
                    Severity.WARNING,
                    "1 of 2 nodes is not Ready",
                    "bring the node back to Ready, or drain and remove it, before the upgrade",
                ),
                _finding(
                    "insecure-tls",
                    "hcp-tenant-a",
                    Severity.WARNING,
                    "The kubeconfig sets insecure-skip-tls-verify: the server's identity "
                    "was not verified.",
                    "Set certificate-authority-data for the cluster and remove "
                    "`insecure-skip-tls-verify`.",
                ),
                _finding(
                    "hcp-preview",
                    "hcp-tenant-a",
                    Severity.INFO,
                    "Hosted Control Plane is a Technology Preview in 4.3.",
                ),
            ),
        ),
        ClusterResult(
            context="eks-legacy",
            name="eks-legacy",
            role=Role.WORKLOAD,
            kind="third-party",
            provider="eks",
            server="https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com",
            status=Status.BLOCKED,
            version=parse_git_version("v1.29.10-eks-7f9249a"),
            nodes=NodeSummary(
                6,
                {"v1.29.10-eks-7f9249a": 4, "v1.28.15-eks-a737599": 2},
                {"containerd://1.7.22": 6},
            ),
            findings=(
                _finding(
                    "window",
                    "eks-legacy",
                    Severity.BLOCKER,
                    "Kubernetes 1.29 is outside the 4.3 window 1.31-1.34.",
                    window_fix.format(path="1.30 -> 1.31"),
                ),
            ),
            upgrade_path=("1.30", "1.31"),
            owner="team-data",
        ),
        ClusterResult(
            context=HOSTILE_CONTEXT,
            name=HOSTILE_CONTEXT,
            role=Role.WORKLOAD,
            kind="upi",
            provider="upstream",
            server="https://10.20.30.40:6443",
            status=Status.BLOCKED,
            version=parse_git_version("v1.30.4"),
            nodes=NodeSummary(
                3,
                {"v1.30.4": 2, "v1.30.4-docker": 1},
                {"containerd://1.7.22": 2, "docker://24.0.7": 1},
            ),
            findings=(
                _finding(
                    "runtime",
                    HOSTILE_CONTEXT,
                    Severity.BLOCKER,
                    "1 node runs the Docker runtime (`docker://24.0.7`); the platform "
                    "preflight rejects it.",
                    "Move the node to containerd: `kubectl drain <node>`, reinstall, "
                    "`kubectl uncordon <node>`.",
                ),
                _finding(
                    "window",
                    HOSTILE_CONTEXT,
                    Severity.BLOCKER,
                    "Kubernetes 1.30 is outside the 4.3 window 1.31-1.34.",
                    window_fix.format(path="1.31"),
                ),
                _finding(
                    "resource-patch",
                    f"{HOSTILE_CONTEXT}/coredns-|tune",
                    Severity.BLOCKER,
                    "resource patch coredns-|tune (patches Deployment kube-system/coredns) is "
                    "not exempted for 4.3",
                    "check that the patch still applies to 4.3, then: kubectl --context "
                    "'<img src=x onerror=alert(1)>|pipe' annotate resourcepatches "
                    "'coredns-|tune' config.cpaas.io/exempt-for-ver=4.3.0 --overwrite",
                ),
            ),
            upgrade_path=("1.31",),
            notes="Lab cluster | owned by **nobody**",
            resource_patches=(
                ResourcePatch(
                    "coredns-|tune",
                    "Deployment",
                    "kube-system",
                    "coredns",
                    "apps/v1",
                    release="v4.2",
                    phase="Applied",
                ),
            ),
        ),
        ClusterResult(
            context=OCP_CONTEXT,
            name="ocp-prod",
            role=Role.WORKLOAD,
            kind="third-party",
            provider="openshift",
            server="https://api.ocp-prod.example.com:6443",
            status=Status.BLOCKED,
            version=parse_git_version("v1.30.7+ab12cd3"),
            nodes=NodeSummary(
                9, {"v1.30.7+ab12cd3": 6, "v1.27.16+ab12cd3": 3}, {"cri-o://1.30.4": 9}
            ),
            findings=(
                _finding(
                    "window",
                    OCP_CONTEXT,
                    Severity.BLOCKER,
                    "Kubernetes 1.30 is outside the 4.3 window 1.31-1.34.",
                    "upgrade 1.30 -> 1.31 before upgrading the global cluster",
                ),
                _finding(
                    "skew",
                    f"{OCP_CONTEXT}/1.27",
                    Severity.INFO,
                    "Kubelets on api.ocp-prod.example.com are 3 minors behind the API "
                    "server, the most the skew policy allows.",
                ),
            ),
            upgrade_path=("1.31",),
            upgrade_controller=ocp_controller(),
            extensions=ocp_extensions(),
            plan=ocp_plan(),
        ),
        ClusterResult(
            context="gke-analytics",
            name="gke-analytics",
            role=Role.WORKLOAD,
            kind="third-party",
            provider="gke",
            server="https://34.120.1.9",
            status=Status.UNKNOWN,
            error=ScanError(ErrorCategory.TIMEOUT, MULTILINE_ERROR),
        ),
        ClusterResult(
            context="aks-dev",
            name="aks-dev",
            role=Role.WORKLOAD,
            kind="third-party",
            provider="",
            server="https://aks-dev-4f2a.hcp.westeurope.azmk8s.io:443",
            status=Status.UNKNOWN,
            error=ScanError(
                ErrorCategory.AUTH,
                "401 Unauthorized from aks-dev-4f2a.hcp.westeurope.azmk8s.io: "
                "token expired, run `az aks get-credentials`",
            ),
        ),
        ClusterResult(
            context="dr-standby",
            name="dr-standby",
            role=Role.WORKLOAD,
            kind="ipi",
            provider="platform",
            server="https://dr-standby.platform.example.com:6443",
            status=Status.WARN,
            version=parse_git_version("v1.32.6-3"),
            findings=(
                _finding(
                    "not-scanned",
                    "dr-standby",
                    Severity.WARNING,
                    "not scanned directly; add a context to verify (known only from the "
                    "global cluster's record: recorded version v1.32.6-3, phase Running)",
                    "add a kubeconfig context for this cluster and re-run the scan",
                ),
            ),
            access=Access.PLATFORM_RECORD,
            kind_source=KindSource.DISCOVERY,
            recorded_version="v1.32.6-3",
        ),
    )


def ocp_controller() -> UpgradeController:
    """What the platform's upgrade operator says of ocp-prod: its conditions name the host."""
    return UpgradeController(
        shadow="cpaas-system/ocp-prod",
        current="4.2.3",
        desired="4.3.0",
        conditions=(
            Condition(
                "Stalled",
                "True",
                "NodeDrainTimeout",
                "drain of a node behind api.ocp-prod.example.com timed out",
            ),
            Condition("Reconciling", "False"),
        ),
        preflight=Preflight(
            "2025-11-20T09:01:00Z",
            (
                PreflightCheck("ClusterRunning", "Always", "Passed"),
                PreflightCheck(
                    "ModuleInfoStable",
                    "Always",
                    "Failed",
                    "Unstable",
                    "extension logging on api.ocp-prod.example.com is moving",
                ),
            ),
        ),
        last_update=HistoryEntry("4.2.3", "Completed", "2025-10-01T08:00:00Z", "2025-10-01T09:00Z"),
    )


def ocp_extensions() -> tuple[Extension, ...]:
    return (
        Extension(
            module="logging",
            name="ocp-prod-7f3a",
            version="v4.1.2",
            target_version="v4.2.0",
            phase="Upgrading",
            lifecycle="aligned",
            transit_version="v4.1.9",
            block_reasons=("needs api.ocp-prod.example.com reachable from global",),
            conditions=(
                Condition("Ready", "False", "Upgrading", "<b>waiting</b> for `logging` pods"),
            ),
        ),
    )


def ocp_plan() -> UpgradePlan:
    """ocp-prod's way into the window: kubelets already behind fall outside the skew policy
    at 1.31; every finding id carries the context, and so the host, dashed."""
    return UpgradePlan(
        to="1.31",
        steps=(
            PlanStep(
                "1.31",
                (
                    _finding(
                        "path-skew",
                        f"{OCP_CONTEXT}/1.27",
                        Severity.BLOCKER,
                        "3 nodes fall outside the skew policy on kubelet v1.27.16+ab12cd3 "
                        "(3 minors behind at most) when the control plane reaches 1.31",
                        "upgrade those kubelets to at least 1.28 before the control plane "
                        "reaches 1.31",
                    ),
                ),
            ),
        ),
        notes=("disruption budgets not read (auth: HTTP 403 from api.ocp-prod.example.com)",),
    )


def changes() -> Changes:
    """What changed since the previous run: a new blocker on the host-named context."""
    return Changes(
        since="2025-11-19T09:14:03Z",
        previous_verdict="NOT_READY",
        new_blockers=(
            Change(
                OCP_CONTEXT,
                None,
                f"window/{OCP_CONTEXT}",
                "Kubernetes 1.30 is outside the 4.3 window 1.31-1.34.",
            ),
        ),
        resolved=(Change("ipi-prod", "window/ipi-prod", None, "Kubernetes 1.30 is outside"),),
        status_changes=(Change(OCP_CONTEXT, "WARN", "BLOCKED"),),
        version_changes=(Change("ipi-prod", "v1.32.8-2", "v1.33.7-4"),),
    )


def platform() -> PlatformSection:
    return PlatformSection(
        discovered=True,
        current_version="4.2",
        current_version_source=CurrentSource.GLOBAL_CLUSTER,
        discovered_version="v4.2.3",
        records=9,
        notes=(
            "1 cluster recorded on the global cluster with no kubeconfig context, reported "
            "from the record: dr-standby",
        ),
        preflight=Preflight(
            "2025-11-20T09:02:11Z",
            (
                PreflightCheck("etcd-health", "Required", "Passed", "Healthy", "3/3 healthy"),
                PreflightCheck(
                    "node-disk|pressure",
                    "Optional",
                    "Retry",
                    "DiskPressure",
                    "node `global-2` on global.platform.example.com is at 91% disk",
                ),
            ),
        ),
        disabled_checks=("PlatformLicense",),
        gates=(
            Gate("ack-4.3-ingress-nginx-retirement", "ingress-nginx is retired in 4.3", False),
            Gate("ack-4.4-kubernetes-1.35-kernel-update", "kernel 5.8+", False, applies=False),
            Gate("registry-migrated", "images moved off api.ocp-prod.example.com", True),
        ),
        resource_patches=1,
        etcd_backup=EtcdBackup(
            "etcd-backup-default",
            schedule="0 */6 * * *",
            records=3,
            newest=BackupRecord("2025-11-20T06:00:00Z", "", "Failed"),
            newest_success=BackupRecord(
                "2025-11-19T18:00:00Z", "etcd-snapshot-|1732039200.db", "Success"
            ),
        ),
        pending_csrs=1,
    )


def manual_checks() -> tuple[ManualCheck, ...]:
    """Two of the procedure's checks: one from the policy, one the run added."""
    return (
        ManualCheck(
            "registry-space",
            "Make sure the image registry has room for the <new> release | 40 GiB",
            "https://docs.alauda.io/container_platform/4.3/upgrade/pre-upgrade.html",
        ),
        ManualCheck(
            "resource-patches",
            "Review the ResourcePatches of clusters whose patches were not read",
            reason="not read on gke-analytics, aks-dev",
        ),
    )


def canonical_report() -> Report:
    return Report(
        tool_version="0.1.0",
        generated_at="2025-11-20T09:14:03Z",
        duration_seconds=12.437,
        target="4.3",
        from_version="4.2",
        policy=PolicyRef(
            "platform-k8s-support-matrix",
            "Vendor Kubernetes Support Matrix",
            "3f1c" + "0" * 56 + "9a2b",
        ),
        verdict=Verdict.NOT_READY,
        exit_code=1,
        clusters=clusters(),
        notes=("Upgrade path 4.2 -> 4.3 is supported.",),
        platform=platform(),
        changes=changes(),
        manual_checks=manual_checks(),
        roadmap=roadmap(),
        metadata={
            "host": "ops-bastion-01",
            "user": "alice",
            "command_line": "upgrade-scanner scan --target 4.3 --from 4.2 "
            "--kubeconfig /home/alice/.kube/fleet.yaml "
            "--context 'default/api-ocp-prod-example-com:6443/*' --html report.html",
            "window": WINDOW,
        },
    )


def large_report(count: int = 1000) -> Report:
    """``count`` clusters cycling through the canonical ones, with distinct contexts."""
    base = clusters()
    many = tuple(
        replace(base[i % len(base)], context=f"{base[i % len(base)].context}-{i:04d}")
        for i in range(count)
    )
    return replace(canonical_report(), clusters=many)


def roadmap() -> Roadmap:
    """Three windows to 4.3: the hostile context and ocp-prod (its step blocked by the plan's
    skew finding), then eks-legacy's second step, then the platform hop with its gate."""
    ocp_block = f"path-skew/{OCP_CONTEXT}/1.27"
    return Roadmap(
        route=("4.2", "4.3"),
        windows=(
            RoadmapWindow(
                1,
                (
                    RoadmapAction("eks-legacy", "kubernetes", "1.29", "1.30", wave=1),
                    RoadmapAction(HOSTILE_CONTEXT, "kubernetes", "1.30", "1.31"),
                    RoadmapAction(OCP_CONTEXT, "kubernetes", "1.30", "1.31", (ocp_block,)),
                ),
                "4.2 -> 4.3",
            ),
            RoadmapWindow(
                2,
                (RoadmapAction("eks-legacy", "kubernetes", "1.30", "1.31", wave=1),),
                "4.2 -> 4.3",
            ),
            RoadmapWindow(
                3,
                (
                    RoadmapAction(
                        "global",
                        "platform",
                        "4.2",
                        "4.3",
                        (f"runtime/{HOSTILE_CONTEXT}/docker",),
                        requires=(
                            "acknowledge admin gate ack-4.3-ingress-nginx-retirement",
                            "manual check registry-space",
                        ),
                    ),
                ),
                "4.2 -> 4.3",
            ),
        ),
        total_windows=3,
        critical_path=("eks-legacy",),
        route_reason="a direct upgrade: 3 windows",
        not_planned=("gke-analytics: its version is not known (timeout)",),
        stalled=(OCP_CONTEXT,),
        history=(
            ProgressPoint("2025-11-13T09:14:03Z", 4, 2, 4, 6),
            ProgressPoint("2025-11-20T09:14:03Z", 3, 1, 3, 4),
        ),
        remaining={"eks-legacy": 2, HOSTILE_CONTEXT: 1, OCP_CONTEXT: 1},
    )
