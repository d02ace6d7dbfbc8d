"""The platform APIs a simulated global cluster serves, shaped like the vendor's schemas.

A global cluster with a :class:`PlatformSpec` answers, read-only:

- ``GET /apis/platform.tkestack.io/v1/clusters`` (a ``ClusterList``),
- ``GET /apis/cluster.x-k8s.io/v1beta1/namespaces/cpaas-system/clusters``,
- ``GET /apis/kamaji.clastix.io/v1alpha1/tenantcontrolplanes``,
- ``GET /apis/<shadow group>/namespaces/cpaas-system/clusterversionshadows`` (one shadow per
  cluster that has ``shadow`` set, plus ``global`` from ``current``/``preflight``),
- ``GET /apis/product.alauda.io/v1alpha1/productbases/base``,
- ``GET /apis/cluster.alauda.io/v1alpha1/moduleinfoes`` and ``.../clustermodules``,
- ``GET /apis/<patch group>/resourcepatches``,
- ``GET /api/v1/namespaces/cpaas-system/configmaps/{cvo-config,admin-gates,admin-acks}``,
- API discovery: ``GET /apis`` and ``GET /apis/<group>/<version>`` for the groups above.

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
SHADOWS = "clusterversionshadows"
PRODUCTBASE = "productbase"
MODULEINFOS = "moduleinfoes"
CLUSTERMODULES = "clustermodules"
RESOURCEPATCHES = "resourcepatches"
CVO_CONFIG = "cvo-config"
ADMIN_GATES = "admin-gates"
ADMIN_ACKS = "admin-acks"
DISCOVERY = "apis"  # GET /apis and the group-version documents
API_KEYS = (
    TKESTACK,
    CAPI,
    KAMAJI,
    SHADOWS,
    PRODUCTBASE,
    MODULEINFOS,
    CLUSTERMODULES,
    RESOURCEPATCHES,
    CVO_CONFIG,
    ADMIN_GATES,
    ADMIN_ACKS,
    DISCOVERY,
)
_CONFIG_MAPS = (CVO_CONFIG, ADMIN_GATES, ADMIN_ACKS)


@dataclass(frozen=True)
class _Resource:
    plural: str
    group_version: str  # "" for the core group (v1)
    list_kind: str
    namespace: str | None = None
    name: str | None = None  # a get of one object
    namespaced: bool = False

    @property
    def group(self) -> str:
        return self.group_version.rpartition("/")[0]

    def path(self) -> str:
        root = f"/apis/{self.group_version}" if self.group else "/api/v1"
        where = f"/namespaces/{self.namespace}" if self.namespace else ""
        return f"{root}{where}/{self.plural}" + (f"/{self.name}" if self.name else "")


def _resources(spec: PlatformSpec) -> dict[str, _Resource]:
    return {
        TKESTACK: _Resource("clusters", "platform.tkestack.io/v1", "ClusterList"),
        CAPI: _Resource("clusters", "cluster.x-k8s.io/v1beta1", "ClusterList", NAMESPACE),
        KAMAJI: _Resource(
            "tenantcontrolplanes", "kamaji.clastix.io/v1alpha1", "TenantControlPlaneList"
        ),
        SHADOWS: _Resource(
            "clusterversionshadows",
            spec.shadow_group,
            "ClusterVersionShadowList",
            NAMESPACE,
            namespaced=True,
        ),
        PRODUCTBASE: _Resource("productbases", "product.alauda.io/v1alpha1", "", name="base"),
        MODULEINFOS: _Resource("moduleinfoes", "cluster.alauda.io/v1alpha1", "ModuleInfoList"),
        CLUSTERMODULES: _Resource(
            "clustermodules", "cluster.alauda.io/v1alpha1", "ClusterModuleList"
        ),
        RESOURCEPATCHES: _Resource(
            "resourcepatches", spec.patch_group, "ResourcePatchList", namespaced=True
        ),
        CVO_CONFIG: _Resource("configmaps", "", "", NAMESPACE, "cvo-config", namespaced=True),
        ADMIN_GATES: _Resource("configmaps", "", "", NAMESPACE, "admin-gates", namespaced=True),
        ADMIN_ACKS: _Resource("configmaps", "", "", NAMESPACE, "admin-acks", namespaced=True),
    }


def route(spec: PlatformSpec, path: str) -> str | None:
    """The API key ``path`` asks for, or None when it is not a platform path."""
    if path == "/apis" or (path.startswith("/apis/") and path.count("/") == 3):
        return DISCOVERY
    for key, resource in _resources(spec).items():
        if resource.path() == path:
            return key
    return None


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
    # Its ClusterVersionShadow's status (raw, shaped as PLATFORM.md says); None: no shadow.
    shadow: Mapping[str, Any] | None = None
    modules: Sequence[Mapping[str, Any]] = ()  # ModuleInfos: module, version, phase, ...
    cluster_module: Mapping[str, Any] | None = None  # ClusterModule status (raw)


@dataclass(frozen=True)
class PlatformSpec:
    """What a simulated global cluster records, and how its platform APIs misbehave."""

    clusters: Sequence[PlatformCluster] = ()
    current: str | Mapping[str, Any] | None = None  # status.current of the version shadow
    preflight: Sequence[Mapping[str, Any]] | None = None  # status.preflight.checks
    observed_at: str = "2025-06-01T11:58:00Z"
    forbidden: Sequence[str] = ()  # API keys that answer 403
    missing: Sequence[str] = ()  # API keys that answer 404 (CRD not installed)
    shadow_group: str = "config.alauda.io/v1"  # not published: the scanner must discover it
    patch_group: str = "config.alauda.io/v1"  # ResourcePatch's group/version, also discovered
    productbase_version: str | None = None  # ProductBase base status.version
    cvo_disabled: Sequence[str] | None = None  # cvo-config preflight disabled list
    gates: Mapping[str, str] | None = None  # admin-gates data
    acks: Mapping[str, str] | None = None  # admin-acks data
    resource_patches: Sequence[Mapping[str, str]] = ()  # namespace, name, exempt_for

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


_NOT_FOUND = "the server could not find the requested resource"


def answer(
    spec: PlatformSpec,
    key: str,
    ports: Mapping[str, int],
    query: Mapping[str, str],
    path: str = "",
) -> tuple[int, dict[str, Any]]:
    """(status code, JSON body) of one platform API request."""
    if key == DISCOVERY:
        return _discovery(spec, path)
    resource = _resources(spec)[key]
    if key in spec.forbidden:
        scope = f'in the namespace "{NAMESPACE}"' if resource.namespace else "at the cluster scope"
        verb = "get" if resource.name else "list"
        message = (
            f"{resource.plural}{'.' + resource.group if resource.group else ''} is forbidden: "
            f'User "simfleet-admin" cannot {verb} resource "{resource.plural}" in API group '
            f'"{resource.group}" {scope}'
        )
        return 403, responses.status_body(403, message)
    if key in spec.missing:
        return 404, responses.status_body(404, _NOT_FOUND)
    if key in _CONFIG_MAPS:
        return _config_map(spec, key)
    if key == PRODUCTBASE:
        if spec.productbase_version is None:
            return 404, responses.status_body(
                404, 'productbases.product.alauda.io "base" not found'
            )
        return 200, _productbase(spec)
    items = _items(spec, key, ports)
    limit = int(query.get("limit") or 0)
    page = responses.list_page(items, limit, query.get("continue", ""))
    version = resource.group_version or "v1"
    return 200, {"apiVersion": version, "kind": resource.list_kind, **page}


def _items(spec: PlatformSpec, key: str, ports: Mapping[str, int]) -> list[dict[str, Any]]:
    if key == SHADOWS:
        shadows = [_shadow(spec)] if spec.current is not None or spec.preflight else []
        return shadows + [_cluster_shadow(spec, c) for c in spec.clusters if c.shadow is not None]
    if key == MODULEINFOS:
        return [_module_info(c, m) for c in spec.clusters for m in c.modules]
    if key == CLUSTERMODULES:
        return [_cluster_module(c) for c in spec.clusters if c.cluster_module is not None]
    if key == RESOURCEPATCHES:
        return [_resource_patch(spec, p) for p in spec.resource_patches]
    return [item for cluster in spec.clusters if (item := _item(key, cluster, ports)) is not None]


def _discovery(spec: PlatformSpec, path: str) -> tuple[int, dict[str, Any]]:
    """``/apis`` (an APIGroupList) and ``/apis/<group>/<version>`` (an APIResourceList) for
    the platform's groups; 403/404 with ``forbidden``/``missing`` of ``apis``."""
    if DISCOVERY in spec.forbidden:
        message = f'forbidden: User "simfleet-admin" cannot get path "{path}"'
        return 403, responses.status_body(403, message)
    if DISCOVERY in spec.missing:
        return 404, responses.status_body(404, _NOT_FOUND)
    served: dict[str, list[_Resource]] = {}
    for key, resource in _resources(spec).items():
        if resource.group and key not in spec.missing:
            served.setdefault(resource.group_version, []).append(resource)
    if path == "/apis":
        return 200, responses.group_list(["apps/v1", *served])
    group_version = path.removeprefix("/apis/")
    if group_version not in served:
        return 404, responses.status_body(404, _NOT_FOUND)
    unique = {r.plural: r for r in served[group_version]}
    return 200, {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": [
            {"name": r.plural, "namespaced": r.namespaced, "kind": r.list_kind[:-4] or "Object"}
            for r in unique.values()
        ]
        + [{"name": f"{r.plural}/status", "namespaced": r.namespaced} for r in unique.values()],
    }


def _config_map(spec: PlatformSpec, key: str) -> tuple[int, dict[str, Any]]:
    data: Mapping[str, str] | None
    if key == CVO_CONFIG:
        disabled = spec.cvo_disabled
        data = None if disabled is None else {"preflight": _yaml_list("disabled", disabled)}
    else:
        data = spec.gates if key == ADMIN_GATES else spec.acks
    if data is None:
        return 404, responses.status_body(404, f'configmaps "{key}" not found')
    return 200, {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(key, NAMESPACE),
        "data": dict(data),
    }


def _yaml_list(key: str, values: Sequence[str]) -> str:
    return f"{key}:\n" + "".join(f"- {value}\n" for value in values) if values else f"{key}: []\n"


def _productbase(spec: PlatformSpec) -> dict[str, Any]:
    return {
        "apiVersion": "product.alauda.io/v1alpha1",
        "kind": "ProductBase",
        "metadata": _metadata("base"),
        "spec": {"version": spec.productbase_version, "registry": {"address": "registry.local"}},
        "status": {
            "version": spec.productbase_version,
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def _cluster_shadow(spec: PlatformSpec, cluster: PlatformCluster) -> dict[str, Any]:
    return {
        "apiVersion": spec.shadow_group,
        "kind": "ClusterVersionShadow",
        "metadata": _metadata(cluster.name, NAMESPACE),
        "spec": {"desiredUpdate": {"version": "4.3.0"}},
        "status": dict(cluster.shadow or {}),
    }


def _module_info(cluster: PlatformCluster, module: Mapping[str, Any]) -> dict[str, Any]:
    name = str(module["module"])
    labels = {
        "cpaas.io/module-name": name,
        "cpaas.io/module-type": "plugin",
        "cpaas.io/lifecycle-type": str(module.get("lifecycle", "aligned")),
    }
    if cluster.name != "global":  # a global instance may lack the label (PLATFORM.md 5)
        labels["cpaas.io/cluster-name"] = cluster.name
    metadata = _metadata(f"{cluster.name}-{responses.uid_for(name)[:8]}")
    metadata["labels"] = labels
    metadata["ownerReferences"] = [
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
    return {
        "apiVersion": "cluster.alauda.io/v1alpha1",
        "kind": "ModuleInfo",
        "metadata": metadata,
        "spec": {"version": module.get("version", "v4.3.0")},
        "status": status,
    }


def _cluster_module(cluster: PlatformCluster) -> dict[str, Any]:
    metadata = _metadata(cluster.name)
    metadata["labels"] = {"cpaas.io/cluster-name": cluster.name}
    return {
        "apiVersion": "cluster.alauda.io/v1alpha1",
        "kind": "ClusterModule",
        "metadata": metadata,
        "status": dict(cluster.cluster_module or {}),
    }


def _resource_patch(spec: PlatformSpec, patch: Mapping[str, str]) -> dict[str, Any]:
    metadata = _metadata(patch["name"], patch.get("namespace") or None)
    if patch.get("exempt_for"):
        metadata["annotations"] = {"config.cpaas.io/exempt-for-ver": patch["exempt_for"]}
    return {
        "apiVersion": spec.patch_group,
        "kind": "ResourcePatch",
        "metadata": metadata,
        "spec": {"target": {"kind": "Deployment", "name": "some-component"}},
    }


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
        "apiVersion": spec.shadow_group,
        "kind": "ClusterVersionShadow",
        "metadata": _metadata("global", NAMESPACE),
        "spec": {},
        "status": status,
    }
