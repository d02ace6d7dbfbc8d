"""The documents the simulated global cluster serves, shaped like the vendor's: cluster
records, shadows, ModuleInfos, ClusterModules, the ProductBase, the etcd backup
configuration and certificate requests. :mod:`simfleet.platform` routes the requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simfleet import responses

if TYPE_CHECKING:  # the specs are simfleet.platform's; it imports these builders
    from simfleet.platform import PlatformCluster, PlatformSpec

NAMESPACE = "cpaas-system"
_CREATED = "2025-01-15T08:30:00Z"
_OTHER_HOST = "10.0.8.21"  # the address of a recorded cluster that is not in the fleet


def etcd_backup(config: Mapping[str, Any]) -> dict[str, Any]:
    """``etcd-backup-default`` (Cluster Enhancer): spec.paused/schedule, status.records."""
    return {
        "apiVersion": "enhancement.cluster.alauda.io/v1",
        "kind": "EtcdBackupConfiguration",
        "metadata": metadata("etcd-backup-default"),
        "spec": {
            "paused": bool(config.get("paused", False)),
            "schedule": str(config.get("schedule", "0 */6 * * *")),
            "storage": {"local": {"path": "/cpaas/backup/etcd"}},
        },
        "status": {"records": [dict(r) for r in config.get("records", ())]},
    }


def csr(request: Mapping[str, str]) -> dict[str, Any]:
    """A certificate signing request, pending unless its ``state`` says approved or denied."""
    state = request.get("state", "pending")
    status: dict[str, Any] = {}
    if state != "pending":
        kind = "Approved" if state == "approved" else "Denied"
        status["conditions"] = [{"type": kind, "status": "True", "reason": "AutoApproved"}]
        if state == "approved":
            status["certificate"] = "LS0tLS1CRUdJTi...".rstrip(".")
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": metadata(request["name"]),
        "spec": {
            "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
            "usages": ["digital signature", "client auth"],
            "username": "system:node:" + request["name"],
        },
        "status": status,
    }


def productbase(version: str) -> dict[str, Any]:
    return {
        "apiVersion": "product.alauda.io/v1alpha1",
        "kind": "ProductBase",
        "metadata": metadata("base"),
        "spec": {"version": version, "registry": {"address": "registry.local"}},
        "status": {
            "version": version,
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def cluster_shadow(group: str, cluster: PlatformCluster) -> dict[str, Any]:
    return {
        "apiVersion": group,
        "kind": "ClusterVersionShadow",
        "metadata": metadata(cluster.name, NAMESPACE),
        "spec": {"desiredUpdate": {"version": "4.3.0"}},
        "status": dict(cluster.shadow or {}),
    }


def module_info(cluster: PlatformCluster, module: Mapping[str, Any]) -> dict[str, Any]:
    name = str(module["module"])
    labels = {"cpaas.io/module-name": name, "cpaas.io/module-type": "plugin"}
    if module.get("lifecycle", "aligned") is not None:  # None: the label is absent
        labels["cpaas.io/lifecycle-type"] = str(module.get("lifecycle", "aligned"))
    if cluster.name != "global":  # a global instance may lack the label (PLATFORM.md 5)
        labels["cpaas.io/cluster-name"] = cluster.name
    meta = metadata(f"{cluster.name}-{responses.uid_for(name)[:8]}")
    meta["labels"] = labels
    meta["ownerReferences"] = [
        {"apiVersion": "platform.tkestack.io/v1", "kind": "Cluster", "name": cluster.name}
    ]
    status: dict[str, Any] = {
        "version": module.get("version", "v4.3.0"),
        "phase": module.get("phase", "Running"),
    }
    if module.get("block_reasons"):
        status["blockReasons"] = list(module["block_reasons"])
    if module.get("transit"):
        status["transitVersion"] = module["transit"]
    if module.get("conditions"):
        status["conditions"] = [dict(c) for c in module["conditions"]]
    return {
        "apiVersion": "cluster.alauda.io/v1alpha1",
        "kind": "ModuleInfo",
        "metadata": meta,
        "spec": {"version": module.get("target", module.get("version", "v4.3.0"))},
        "status": status,
    }


def cluster_module(cluster: PlatformCluster) -> dict[str, Any]:
    meta = metadata(cluster.name)
    meta["labels"] = {"cpaas.io/cluster-name": cluster.name}
    return {
        "apiVersion": "cluster.alauda.io/v1alpha1",
        "kind": "ClusterModule",
        "metadata": meta,
        "spec": {"version": cluster.platform_version} if cluster.platform_version else {},
        "status": dict(cluster.cluster_module or {}),
    }


def _address(cluster: PlatformCluster, ports: Mapping[str, int]) -> tuple[str, int]:
    port = ports.get(cluster.server_of or cluster.name)
    return ("127.0.0.1", port) if port else (_OTHER_HOST, 6443)


def metadata(name: str, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "uid": responses.uid_for(f"platform/{namespace}/{name}"),
        "resourceVersion": "1",
        "creationTimestamp": _CREATED,
    }
    if namespace:
        metadata["namespace"] = namespace
    return metadata


def platform_cluster(cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any]:
    host, port = _address(cluster, ports)
    status: dict[str, Any] = {
        "phase": cluster.phase,
        "addresses": [{"type": "Real", "host": host, "port": port, "path": ""}],
        "conditions": [
            {
                "type": "HealthCheck",
                "status": "True" if cluster.phase == "Running" else "False",
                "lastProbeTime": "2025-06-01T11:59:00Z",
                "lastTransitionTime": _CREATED,
                "reason": "" if cluster.phase == "Running" else "Unhealthy",
            }
        ],
    }
    recorded = cluster.recorded_version or cluster.version
    if recorded:
        status["version"] = recorded
    spec: dict[str, Any] = {"tenantID": "default", "displayName": cluster.name}
    spec.update(type=cluster.type, clusterCIDR="10.3.0.0/16", networkDevice="eth0")
    if cluster.version:
        spec["version"] = cluster.version
    return {
        "apiVersion": "platform.tkestack.io/v1",
        "kind": "Cluster",
        "metadata": metadata(cluster.name),
        "spec": spec,
        "status": status,
    }


def capi_cluster(cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any]:
    host, port = _address(cluster, ports)
    spec: dict[str, Any] = {
        "clusterNetwork": {"pods": {"cidrBlocks": ["10.3.0.0/16"]}},
        "controlPlaneEndpoint": {"host": host, "port": port},
    }
    refs = (
        ("controlPlaneRef", "controlplane.cluster.x-k8s.io/v1alpha1", cluster.control_plane),
        ("infrastructureRef", "infrastructure.cluster.x-k8s.io/v1beta1", cluster.infrastructure),
    )
    for field, api_version, kind in refs:
        if kind:
            ref = {"apiVersion": api_version, "kind": kind, "name": cluster.name}
            spec[field] = {**ref, "namespace": NAMESPACE}
    return {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": metadata(cluster.name, NAMESPACE),
        "spec": spec,
        "status": {"phase": "Provisioned", "controlPlaneReady": True, "infrastructureReady": True},
    }


def tenant_control_plane(cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any]:
    host, port = _address(cluster, ports)
    current = cluster.recorded_version or cluster.version
    desired = cluster.tcp_version or cluster.version
    version: dict[str, Any] = {"status": cluster.tcp_status}
    if current:
        version["version"] = current
    return {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "TenantControlPlane",
        "metadata": metadata(cluster.name, NAMESPACE),
        "spec": {
            "controlPlane": {
                "deployment": {"replicas": 2},
                "service": {"serviceType": "LoadBalancer"},
            },
            "kubernetes": {"version": desired, "kubelet": {"cgroupfs": "systemd"}},
        },
        "status": {
            "controlPlaneEndpoint": f"{host}:{port}",
            "kubernetesResources": {"version": version},
        },
    }


def global_shadow(spec: PlatformSpec) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if spec.current is not None:
        status["current"] = spec.current
    if spec.preflight is not None:
        checks = [dict(check) for check in spec.preflight]
        status["preflight"] = {"observedAt": spec.observed_at, "checks": checks}
    return {
        "apiVersion": spec.shadow_group,
        "kind": "ClusterVersionShadow",
        "metadata": metadata("global", NAMESPACE),
        "spec": {},
        "status": status,
    }
