"""The platform APIs a simulated global cluster serves, shaped like the vendor's schemas.

A global cluster with a :class:`PlatformSpec` answers, read-only:

- ``GET /apis/platform.tkestack.io/v1/clusters`` (a ``ClusterList``),
- ``GET /apis/cluster.x-k8s.io/v1beta1/namespaces/cpaas-system/clusters``,
- ``GET /apis/kamaji.clastix.io/v1alpha1/tenantcontrolplanes``,
- ``GET /apis/config.alauda.io/v1/namespaces/cpaas-system/clusterversionshadows/global``.

Lists are paged (``limit``/``continue``) like every list of a real API server. A cluster
without a platform spec answers 404 on all of them, as a cluster without those CRDs does;
``forbidden`` and ``missing`` make single APIs answer 403 (RBAC) or 404 (CRD not installed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simfleet import responses

NAMESPACE = "cpaas-system"
TKESTACK = "platform-clusters"
CAPI = "capi-clusters"
KAMAJI = "tenantcontrolplanes"
SHADOW = "clusterversionshadow"
API_KEYS = (TKESTACK, CAPI, KAMAJI, SHADOW)
PATHS = {
    "/apis/platform.tkestack.io/v1/clusters": TKESTACK,
    f"/apis/cluster.x-k8s.io/v1beta1/namespaces/{NAMESPACE}/clusters": CAPI,
    "/apis/kamaji.clastix.io/v1alpha1/tenantcontrolplanes": KAMAJI,
    f"/apis/config.alauda.io/v1/namespaces/{NAMESPACE}/clusterversionshadows/global": SHADOW,
}
# (resource, group, list kind) per API, for 403 messages and list documents.
_RESOURCES = {
    TKESTACK: ("clusters", "platform.tkestack.io", "platform.tkestack.io/v1", "ClusterList"),
    CAPI: ("clusters", "cluster.x-k8s.io", "cluster.x-k8s.io/v1beta1", "ClusterList"),
    KAMAJI: (
        "tenantcontrolplanes",
        "kamaji.clastix.io",
        "kamaji.clastix.io/v1alpha1",
        "TenantControlPlaneList",
    ),
    SHADOW: ("clusterversionshadows", "config.alauda.io", "config.alauda.io/v1", ""),
}
_CREATED = "2025-01-15T08:30:00Z"
_OTHER_HOST = "10.0.8.21"  # the address of a recorded cluster that is not in the fleet


@dataclass(frozen=True)
class PlatformCluster:
    """One cluster the global cluster manages, in up to three APIs."""

    name: str
    type: str | None = "Baremetal"  # platform.tkestack.io spec.type; None: no record there
    version: str | None = None  # spec.version
    recorded_version: str | None = None  # status.version; None: the same as version
    phase: str = "Running"
    capi: bool = False  # also a Cluster API cluster in cpaas-system
    infrastructure: str | None = None  # its infrastructureRef kind
    control_plane: str | None = None  # its controlPlaneRef kind
    tcp_status: str | None = None  # a Kamaji TenantControlPlane in this status
    tcp_version: str | None = None  # its spec.kubernetes.version (default: version)
    server_of: str | None = None  # the fleet cluster it is (default: the one named `name`)


@dataclass(frozen=True)
class PlatformSpec:
    """What a simulated global cluster records, and how its platform APIs misbehave."""

    clusters: Sequence[PlatformCluster] = ()
    current: str | Mapping[str, Any] | None = None  # status.current of the version shadow
    preflight: Sequence[Mapping[str, Any]] | None = None  # status.preflight.checks
    observed_at: str = "2025-06-01T11:58:00Z"
    forbidden: Sequence[str] = ()  # API keys that answer 403
    missing: Sequence[str] = ()  # API keys that answer 404 (CRD not installed)

    def __post_init__(self) -> None:
        object.__setattr__(self, "clusters", tuple(self.clusters))
        for option in ("forbidden", "missing"):
            keys = tuple(getattr(self, option))
            unknown = sorted(set(keys) - set(API_KEYS))
            if unknown:
                raise ValueError(f"platform {option}: unknown APIs {unknown} (of {API_KEYS})")
            object.__setattr__(self, option, keys)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlatformSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"platform: unknown keys {unknown}")
        values = dict(data)
        values["clusters"] = tuple(PlatformCluster(**c) for c in values.get("clusters") or ())
        return cls(**values)


def answer(
    spec: PlatformSpec, key: str, ports: Mapping[str, int], query: Mapping[str, str]
) -> tuple[int, dict[str, Any]]:
    """(status code, JSON body) of one platform API request."""
    resource, group, api_version, list_kind = _RESOURCES[key]
    if key in spec.forbidden:
        scope = (
            f'in the namespace "{NAMESPACE}"' if key in (CAPI, SHADOW) else "at the cluster scope"
        )
        verb = "get" if key == SHADOW else "list"
        message = (
            f'{resource}.{group} is forbidden: User "simfleet-admin" cannot {verb} resource '
            f'"{resource}" in API group "{group}" {scope}'
        )
        return 403, responses.status_body(403, message)
    if key in spec.missing:
        return 404, responses.status_body(404, "the server could not find the requested resource")
    if key == SHADOW:
        return 200, _shadow(spec)
    items = [item for cluster in spec.clusters if (item := _item(key, cluster, ports)) is not None]
    limit = int(query.get("limit") or 0)
    page = responses.list_page(items, limit, query.get("continue", ""))
    return 200, {"apiVersion": api_version, "kind": list_kind, **page}


def _item(key: str, cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any] | None:
    if key == TKESTACK and cluster.type is not None:
        return _platform_cluster(cluster, ports)
    if key == CAPI and cluster.capi:
        return _capi_cluster(cluster, ports)
    if key == KAMAJI and cluster.tcp_status is not None:
        return _tenant_control_plane(cluster, ports)
    return None


def _address(cluster: PlatformCluster, ports: Mapping[str, int]) -> tuple[str, int]:
    port = ports.get(cluster.server_of or cluster.name)
    return ("127.0.0.1", port) if port else (_OTHER_HOST, 6443)


def _metadata(name: str, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "uid": responses.uid_for(f"platform/{namespace}/{name}"),
        "resourceVersion": "1",
        "creationTimestamp": _CREATED,
    }
    if namespace:
        metadata["namespace"] = namespace
    return metadata


def _platform_cluster(cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any]:
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
        "metadata": _metadata(cluster.name),
        "spec": spec,
        "status": status,
    }


def _capi_cluster(cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any]:
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
        "metadata": _metadata(cluster.name, NAMESPACE),
        "spec": spec,
        "status": {"phase": "Provisioned", "controlPlaneReady": True, "infrastructureReady": True},
    }


def _tenant_control_plane(cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any]:
    host, port = _address(cluster, ports)
    current = cluster.recorded_version or cluster.version
    desired = cluster.tcp_version or cluster.version
    version: dict[str, Any] = {"status": cluster.tcp_status}
    if current:
        version["version"] = current
    return {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "TenantControlPlane",
        "metadata": _metadata(cluster.name, NAMESPACE),
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


def _shadow(spec: PlatformSpec) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if spec.current is not None:
        status["current"] = spec.current
    if spec.preflight is not None:
        checks = [dict(check) for check in spec.preflight]
        status["preflight"] = {"observedAt": spec.observed_at, "checks": checks}
    return {
        "apiVersion": "config.alauda.io/v1",
        "kind": "ClusterVersionShadow",
        "metadata": _metadata("global", NAMESPACE),
        "spec": {},
        "status": status,
    }
