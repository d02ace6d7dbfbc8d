"""Named fleets: the demo, a seeded synthetic fleet for benchmarks, and one of every failure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from simfleet.platform import PlatformCluster, PlatformSpec
from simfleet.spec import ClusterSpec, Failure, NodeSpec

RHCOS = "Red Hat Enterprise Linux CoreOS 416.94.202410211619-0"
CRIO = "cri-o://1.29.10-3.rhaos4.16.git2f8b1a4.el9"


def demo() -> list[ClusterSpec]:
    """About a dozen clusters with real vendor version strings; `global` first.

    Against a 4.3 target: eks-prod (1.30) and openshift-fin (1.29) are blocked, upi-dc2 has a
    kubelet two minors behind, tke-gz has a node on Docker, legacy-dc cannot be reached.
    The global cluster serves the platform APIs (:func:`demo_platform`).
    """
    return [
        ClusterSpec(
            "global",
            "v1.34.5-1",
            node_count=3,
            latency=0.01,
            platform=demo_platform(),
            # Exempted for 4.3: the platform's ResourcePatchUpgradeable passes it.
            resource_patches=(
                {
                    "name": "alb-resources",
                    "kind": "Deployment",
                    "namespace": "cpaas-system",
                    "target": "alb-operator",
                    "exempt_for": "4.3.0",
                },
            ),
        ),
        ClusterSpec(
            "ipi-prod",
            "v1.33.7-4",
            node_count=5,
            latency=0.02,
            os_image=RHCOS,
            # A workload cluster's own patch, not exempted for 4.3: it blocks the upgrade.
            resource_patches=(
                {
                    "name": "coredns-replicas",
                    "kind": "Deployment",
                    "namespace": "kube-system",
                    "target": "coredns",
                },
            ),
        ),
        ClusterSpec(
            "upi-dc2",
            "v1.32.4-2",
            nodes=(NodeSpec(), NodeSpec(), NodeSpec(kubelet_version="v1.30.9-1")),
            latency=0.03,
        ),
        ClusterSpec(
            "eks-prod",
            "v1.30.14-eks-931bdca",
            node_count=4,
            kubelet_version="v1.30.14-eks-3025e55",
            os_image="Amazon Linux 2023.7.20250512",
            kernel_version="6.1.134-152.225.amzn2023.x86_64",
            latency=0.08,
        ),
        ClusterSpec(
            "gke-analytics",
            "v1.31.6-gke.1020000",
            minor="31+",
            nodes=(NodeSpec(), NodeSpec(ready=False), NodeSpec()),  # one node NotReady
            os_image="Container-Optimized OS from Google",
            kernel_version="6.1.112+",
            latency=0.06,
        ),
        # Its reader may not list ResourcePatches: the manual checklist names it.
        ClusterSpec("aks-web", "v1.32.3", node_count=2, latency=0.05, patches_status=403),
        ClusterSpec("ack-cn", "v1.33.1-aliyun.1", node_count=3, latency=0.12),
        ClusterSpec(
            "tke-gz",
            "v1.32.2-tke.3",
            nodes=(NodeSpec(), NodeSpec(container_runtime="docker://20.10.24"), NodeSpec()),
            latency=0.1,
        ),
        ClusterSpec(
            "k3s-edge",
            "v1.34.1+k3s1",
            node_count=1,
            container_runtime="containerd://2.0.5-k3s1",
            auth="exec",
            patches_status=404,  # no ResourcePatch API on k3s: not read (never "none")
        ),
        ClusterSpec("rke2-lab", "v1.32.4+rke2r1", major="", minor="", node_count=2, auth="cert"),
        ClusterSpec(
            "openshift-fin",
            "v1.29.10+4abdc8e",
            node_count=3,
            container_runtime=CRIO,
            os_image=RHCOS,
            kernel_version="5.14.0-427.40.1.el9_4.x86_64",
            latency=0.04,
        ),
        ClusterSpec("hosted-tenant", "v1.33.3-1", node_count=2, latency=0.02),
        ClusterSpec("legacy-dc", "v1.28.15", failure=Failure.REFUSED),
        # Far behind: its plan to the window shows what breaks at each step on the way.
        ClusterSpec(
            "legacy-edge",
            "v1.23.17",
            nodes=(
                NodeSpec(),
                NodeSpec(kubelet_version="v1.22.17"),
                NodeSpec(container_runtime="docker://20.10.24"),
            ),
            latency=0.03,
            deprecated_requests=(
                {
                    "group": "policy",
                    "version": "v1beta1",
                    "resource": "podsecuritypolicies",
                    "removed_release": "1.25",
                },
                {
                    "group": "autoscaling",
                    "version": "v2beta2",
                    "resource": "horizontalpodautoscalers",
                    "removed_release": "1.26",
                },
            ),
            pdbs=(
                {"namespace": "payments", "name": "ledger", "allowed": 0, "expected": 2},
                {"namespace": "web", "name": "frontend", "allowed": 1, "expected": 3},
            ),
            uptime_hours=5.0,  # restarted this morning: a short window of removed-API usage
        ),
        # Recorded on the platform, absent from the demo kubeconfig: reached through the proxy.
        ClusterSpec("dr-standby", "v1.32.6-3", node_count=3, latency=0.02),
    ]


# The clusters the demo kubeconfig leaves out (the platform records them) and the ones it
# reaches through the platform proxy (`https://<platform>/kubernetes/<cluster>`).
DEMO_OMIT = ("dr-standby",)
DEMO_VIA_PROXY = ("global",)


def demo_platform() -> PlatformSpec:
    """What the demo's global cluster records: every demo cluster, plus dr-standby, which has
    no kubeconfig context; upi-dc2's record is stale (1.31, the cluster runs 1.32); the
    hosted-tenant control plane is Upgrading; platform 4.2; the global preflight: one Passed,
    one Retry; ipi-prod's own preflight has a Failed check; eks-prod's has no result yet;
    upi-dc2 has an extension between versions; tke-gz's cluster module is Abnormal; one admin
    gate for 4.3 is not acknowledged; PlatformLicense is disabled in cvo-config.
    """
    imported = {
        "eks-prod": "v1.30.14-eks-931bdca",
        "gke-analytics": "v1.31.6-gke.1020000",
        "aks-web": "v1.32.3",
        "ack-cn": "v1.33.1-aliyun.1",
        "tke-gz": "v1.32.2-tke.3",
        "k3s-edge": "v1.34.1+k3s1",
        "rke2-lab": "v1.32.4+rke2r1",
        "openshift-fin": "v1.29.10+4abdc8e",
    }
    fresh = _ago(3)  # the platform's preflight ran this morning
    passed = [
        {"name": name, "policy": "Always", "state": "Passed", "reason": "", "message": ""}
        for name in ("VersionUpgradePath", "KubernetesVersionSupported", "ClusterRunning")
    ]
    clusters = [
        PlatformCluster(
            "global",
            version="v1.34.5-1",
            modules=({"module": "logcenter", "version": "v4.2.3", "lifecycle": "aligned"},),
        ),
        PlatformCluster(
            "ipi-prod",
            version="v1.33.7-4",
            capi=True,
            infrastructure="DCSCluster",
            shadow={
                "current": {"version": "4.2.3"},
                "desired": {"version": "4.3.0"},
                "conditions": [
                    {"type": "PreflightReady", "status": "False", "reason": "ChecksFailed"}
                ],
                "preflight": {
                    "observedAt": fresh,
                    "checks": [
                        *passed,
                        {
                            "name": "CustomEtcdBackupCronJobsAbsent",
                            "policy": "Always",
                            "state": "Failed",
                            "reason": "CustomCronJobsFound",
                            "message": "kube-system/etcd-backup-nightly is a custom etcd backup "
                            "CronJob; remove it before the upgrade",
                        },
                    ],
                },
                "history": [
                    {
                        "version": "4.2.3",
                        "state": "Completed",
                        "startedTime": "2025-03-02T01:00:00Z",
                        "completionTime": "2025-03-02T01:40:00Z",
                    }
                ],
            },
            modules=({"module": "logagent", "version": "v4.2.3", "lifecycle": "aligned"},),
            cluster_module={"base": {"deployStatus": "Completed", "runningStatus": "Healthy"}},
            platform_version="v4.2.3",
        ),
        PlatformCluster(
            "upi-dc2",
            version="v1.31.9-2",
            capi=True,
            infrastructure="UserProvisionedCluster",
            shadow={
                "current": {"version": "4.2.3"},
                "preflight": {"observedAt": fresh, "checks": passed},
            },
            modules=(
                {
                    "module": "servicemesh",
                    "version": "v4.1.8",
                    "target": "v4.2.0",  # between versions: the status lags the spec
                    "phase": "Upgrading",
                    "transit": "v4.2.0",
                    "lifecycle": None,  # no label on the ModuleInfo: lifecycle unknown
                    "conditions": [
                        {"type": "Healthy", "status": "False", "reason": "SidecarInjectorDown"}
                    ],
                },
            ),
        ),
        *(
            # An imported cluster may also have a Cluster API record, with no references.
            PlatformCluster(
                name,
                type="Imported",
                version=version,
                capi=name == "eks-prod",
                # eks-prod has a shadow whose preflight has not run yet; aks-web passed.
                shadow=(
                    {"current": {"version": "4.2.3"}}
                    if name == "eks-prod"
                    else {
                        "current": {"version": "4.2.3"},
                        "preflight": {"observedAt": fresh, "checks": passed},
                    }
                    if name == "aks-web"
                    else None
                ),
                cluster_module=(
                    {
                        "base": {"deployStatus": "Completed", "runningStatus": "Abnormal"},
                        "upgradable": False,
                        "unableUpgradeReason": "kube-ovn pods not ready",
                    }
                    if name == "tke-gz"
                    else None
                ),
            )
            for name, version in imported.items()
        ),
        PlatformCluster(
            "hosted-tenant",
            version="v1.33.3-1",
            capi=True,
            control_plane="KamajiControlPlane",
            tcp_status="Upgrading",
            tcp_version="v1.34.1",
            shadow={
                "current": {"version": "4.2.3"},
                "conditions": [
                    {
                        "type": "Reconciling",
                        "status": "True",
                        "reason": "KubernetesUpgrading",
                        "message": "control plane 1.33 -> 1.34",
                    }
                ],
                # Observed twelve days ago: stale, re-run upgrade.sh --preflight.
                "preflight": {"observedAt": _ago(12 * 24), "checks": passed},
            },
        ),
        PlatformCluster(
            "legacy-dc", version="v1.28.15", capi=True, infrastructure="UserProvisionedCluster"
        ),
        PlatformCluster("legacy-edge", type="Imported", version="v1.23.17"),
        PlatformCluster("dr-standby", version="v1.32.6-3", capi=True, infrastructure="DCSCluster"),
    ]
    checks = (
        {
            "name": "etcd-health",
            "policy": "Required",
            "state": "Passed",
            "reason": "Healthy",
            "message": "3/3 etcd members healthy",
        },
        {
            "name": "workload-clusters-ready",
            "policy": "Required",
            "state": "Retry",
            "reason": "ClusterUpgrading",
            "message": "hosted-tenant is upgrading; the check runs again when it is done",
        },
    )
    # On 4.3 every cluster has a shadow: the ones not set above passed their preflight.
    default = {
        "current": {"version": "4.2.3"},
        "preflight": {"observedAt": fresh, "checks": passed},
    }
    clusters = [
        c if c.shadow is not None or c.name == "global" else dataclasses.replace(c, shadow=default)
        for c in clusters
    ]
    return PlatformSpec(
        clusters=clusters,
        current={"version": "v4.2.3"},
        preflight=checks,
        productbase_version="v4.2.3",
        cvo_disabled=("PlatformLicense",),
        gates={
            "ack-4.3-ingress-nginx-retirement": "ingress-nginx is retired in 4.3: move "
            "Ingresses to the ALB gateway first",
            "ack-4.4-kubernetes-1.35-kernel-update": "4.4 needs kernel 5.8+ and cgroup v2 "
            "on every node",
        },
        acks={},
        observed_at=fresh,
        # A backup every six hours, the newest success 30 hours ago: too old for 24 hours.
        etcd_backup={
            "schedule": "0 */6 * * *",
            "records": [
                {
                    "backupTimestamp": _ago(54),
                    "fileName": "etcd-snapshot-a.db",
                    "result": "Success",
                },
                {
                    "backupTimestamp": _ago(30),
                    "fileName": "etcd-snapshot-b.db",
                    "result": "Success",
                },
            ],
        },
        csrs=(
            {"name": "csr-ipi-prod-node-6", "state": "pending"},
            {"name": "csr-ipi-prod-node-5", "state": "approved"},
        ),
    )


def _ago(hours: float) -> str:
    """A time ``hours`` before now, as the platform writes times (RFC 3339, UTC)."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


_SUFFIXES = ("-1", "-4", "-eks-{h}", "-gke.{n}", "-aliyun.1", "-tke.3", "+k3s1", "+rke2r1", "")


def platform_global(specs: list[ClusterSpec]) -> ClusterSpec:
    """A global cluster named ``global`` that records every cluster of ``specs`` (their
    version as recorded) on platform 4.2: for a fleet reached through the platform proxy."""
    records = [PlatformCluster("global", version="v1.34.5-1")]
    records += [PlatformCluster(spec.name, version=spec.git_version) for spec in specs]
    return ClusterSpec(
        "global",
        "v1.34.5-1",
        node_count=3,
        platform=PlatformSpec(clusters=records, current={"version": "4.2.3"}),
    )


def records_global(count: int) -> ClusterSpec:
    """A global cluster named ``global`` whose platform records ``count`` clusters
    (``rec-00000``...) that no server serves: a scan with ``--no-platform-proxy`` reports
    each from its record (benchmarks: how a scan scales with the platform's records)."""
    width = max(5, len(str(count)))
    minors = (30, 31, 32, 33, 34)
    records = [PlatformCluster("global", version="v1.34.5-1")]
    records += [
        PlatformCluster(f"rec-{i:0{width}}", version=f"v1.{minors[i % 5]}.4-1")
        for i in range(count)
    ]
    return ClusterSpec(
        "global",
        "v1.34.5-1",
        node_count=3,
        platform=PlatformSpec(clusters=records, current={"version": "4.2.3"}),
    )


def synthetic(
    n: int,
    seed: int = 0,
    latency: tuple[float, float] = (0.02, 0.3),
    hang_fraction: float = 0.02,
    refused_fraction: float = 0.01,
) -> list[ClusterSpec]:
    """n clusters c0001... with versions over 1.29-1.34; the same seed gives the same fleet.

    Meant for benchmarks, with Fleet(..., shared_ca=True).
    """
    rng = random.Random(seed)
    width = max(4, len(str(n)))
    specs = []
    for i in range(1, n + 1):
        minor = rng.randint(29, 34)
        suffix = rng.choice(_SUFFIXES).format(
            h=f"{rng.getrandbits(28):07x}", n=rng.randint(1, 2000)
        )
        version = f"v1.{minor}.{rng.randint(0, 15)}{suffix}"
        roll = rng.random()
        failure = None
        if roll < hang_fraction:
            failure = Failure.HANG
        elif roll < hang_fraction + refused_fraction:
            failure = Failure.REFUSED
        specs.append(
            ClusterSpec(
                f"c{i:0{width}d}",
                version,
                node_count=rng.randint(1, 6),
                latency=round(rng.uniform(*latency), 3),
                failure=failure,
            )
        )
    return specs


# Names in chaos() that are not failure modes of the server itself.
EXEC_FAIL = "exec-fail"
EXEC_HANG = "exec-hang"
MISSING_CLIENT_CERT = "missing-client-cert"
NODES_MISSING_FIELDS = "nodes-missing-fields"
CONTROL = "healthy"


def chaos() -> list[ClusterSpec]:
    """The healthy control cluster first, then one cluster per failure mode (named like the
    mode with '-' for '_'), then the broken credentials and a node list with missing fields."""
    specs = [ClusterSpec(CONTROL, "v1.34.1")]
    specs += [ClusterSpec(f.value.replace("_", "-"), failure=f) for f in Failure]
    specs += [
        ClusterSpec(EXEC_FAIL, auth="exec", exec_mode="fail"),
        ClusterSpec(EXEC_HANG, auth="exec", exec_mode="hang"),
        ClusterSpec(MISSING_CLIENT_CERT, auth="cert", missing_client_cert=True),
        ClusterSpec(
            NODES_MISSING_FIELDS,
            node_items=(
                {"metadata": {"name": "bare-node"}},
                {"metadata": {"name": "no-node-info"}, "status": {}},
                {
                    "metadata": {"name": "half-node-info"},
                    "status": {"nodeInfo": {"kubeletVersion": "v1.34.1"}},
                },
            ),
        ),
    ]
    return specs


def by_name(name: str, count: int = 100, seed: int = 0) -> list[ClusterSpec]:
    """demo, chaos, or synthetic (count clusters from seed)."""
    if name == "demo":
        return demo()
    if name == "chaos":
        return chaos()
    if name == "synthetic":
        return synthetic(count, seed)
    raise ValueError(f"unknown fleet {name!r}: demo, chaos, synthetic or a .json file")
