"""The platform APIs a simulated global cluster serves, shaped like the vendor's schemas.

A global cluster with a :class:`PlatformSpec` answers, read-only:

- ``GET /apis/platform.tkestack.io/v1/clusters`` (a ``ClusterList``),
- ``GET /apis/cluster.x-k8s.io/v1beta1/namespaces/cpaas-system/clusters``,
- ``GET /apis/kamaji.clastix.io/v1alpha1/tenantcontrolplanes``,
- ``GET /apis/<shadow group>/namespaces/cpaas-system/clusterversionshadows`` (one shadow per
  cluster that has ``shadow`` set, plus ``global`` from ``current``/``preflight``),
- ``GET /apis/product.alauda.io/v1alpha1/productbases/base``,
- ``GET /apis/cluster.alauda.io/v1alpha1/moduleinfoes`` and ``.../clustermodules``,
- ``GET /apis/enhancement.cluster.alauda.io/v1/etcdbackupconfigurations/etcd-backup-default``,
- ``GET /apis/certificates.k8s.io/v1/certificatesigningrequests``,
- ``GET /api/v1/namespaces/cpaas-system/configmaps/{cvo-config,admin-gates,admin-acks}``,
- API discovery: ``GET /apis`` and ``GET /apis/<group>/<version>`` for the groups above.

(Every cluster, platform or not, serves its own ResourcePatches: :mod:`simfleet.responses`.)
The documents themselves are built in :mod:`simfleet.platform_docs`.

Lists are paged (``limit``/``continue``) like every list of a real API server. A cluster
without a platform spec answers 404 on all of them, as a cluster without those CRDs does;
``forbidden`` and ``missing`` make single APIs answer 403 (RBAC) or 404 (CRD not installed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simfleet import platform_docs as docs
from simfleet import responses

NAMESPACE = "cpaas-system"
TKESTACK = "platform-clusters"
CAPI = "capi-clusters"
KAMAJI = "tenantcontrolplanes"
SHADOWS = "clusterversionshadows"
PRODUCTBASE = "productbase"
MODULEINFOS = "moduleinfoes"
CLUSTERMODULES = "clustermodules"
ETCD_BACKUP = "etcd-backup"
CSRS = "certificatesigningrequests"
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
    ETCD_BACKUP,
    CSRS,
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
        ETCD_BACKUP: _Resource(
            "etcdbackupconfigurations",
            "enhancement.cluster.alauda.io/v1",
            "",
            name="etcd-backup-default",
        ),
        CSRS: _Resource(
            "certificatesigningrequests", "certificates.k8s.io/v1", "CertificateSigningRequestList"
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
    # ModuleInfos: module, version (status), target (spec; default: version), phase,
    # lifecycle (None: no label), transit, block_reasons, conditions.
    modules: Sequence[Mapping[str, Any]] = ()
    cluster_module: Mapping[str, Any] | None = None  # ClusterModule status (raw)
    platform_version: str | None = None  # its ClusterModule's spec.version


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
    productbase_version: str | None = None  # ProductBase base status.version
    cvo_disabled: Sequence[str] | None = None  # cvo-config preflight disabled list
    gates: Mapping[str, str] | None = None  # admin-gates data
    acks: Mapping[str, str] | None = None  # admin-acks data
    # etcd-backup-default: {paused, schedule, records: [{backupTimestamp, fileName, result}]};
    # None: the Cluster Enhancer plugin is not installed (404).
    etcd_backup: Mapping[str, Any] | None = None
    csrs: Sequence[Mapping[str, str]] = ()  # certificate requests: {name, state}
    # cvo-config's data.preflight as given (replaces the list cvo_disabled builds).
    cvo_preflight: str | None = None
    # API key -> a raw 200 body served as it is (hostile documents: nested, not JSON).
    raw: Mapping[str, str] = dataclasses.field(default_factory=dict)

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
    if key in spec.raw:
        return 200, responses.RawBody(spec.raw[key])  # type: ignore[return-value]
    if key in _CONFIG_MAPS:
        return _config_map(spec, key)
    if key == PRODUCTBASE:
        if spec.productbase_version is None:
            return 404, responses.status_body(
                404, 'productbases.product.alauda.io "base" not found'
            )
        return 200, docs.productbase(spec.productbase_version)
    if key == ETCD_BACKUP:
        if spec.etcd_backup is None:
            return 404, responses.status_body(404, _NOT_FOUND)
        return 200, docs.etcd_backup(spec.etcd_backup)
    items = _cached_items(spec, key, ports)
    limit = int(query.get("limit") or 0)
    page = responses.list_page(items, limit, query.get("continue", ""))
    version = resource.group_version or "v1"
    return 200, {"apiVersion": version, "kind": resource.list_kind, **page}


_ITEMS: dict[tuple[int, str], tuple[PlatformSpec, list[dict[str, Any]]]] = {}


def _cached_items(spec: PlatformSpec, key: str, ports: Mapping[str, int]) -> list[dict[str, Any]]:
    """A list's items, built once per spec and list: a paged list of 50,000 records asks
    for it a hundred times. (The spec is kept beside its id, so the id is never reused.)"""
    cache_key = (id(spec), key)
    cached = _ITEMS.get(cache_key)
    if cached is None or cached[0] is not spec:
        cached = _ITEMS[cache_key] = (spec, _items(spec, key, ports))
    return cached[1]


def _items(spec: PlatformSpec, key: str, ports: Mapping[str, int]) -> list[dict[str, Any]]:
    if key == SHADOWS:
        shadows = [docs.global_shadow(spec)] if spec.current is not None or spec.preflight else []
        return shadows + [
            docs.cluster_shadow(spec.shadow_group, c) for c in spec.clusters if c.shadow is not None
        ]
    if key == MODULEINFOS:
        return [docs.module_info(c, m) for c in spec.clusters for m in c.modules]
    if key == CLUSTERMODULES:
        return [docs.cluster_module(c) for c in spec.clusters if c.cluster_module is not None]
    if key == CSRS:
        return [docs.csr(c) for c in spec.csrs]
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
        if spec.cvo_preflight is not None:
            data = {"preflight": spec.cvo_preflight}
    else:
        data = spec.gates if key == ADMIN_GATES else spec.acks
    if data is None:
        return 404, responses.status_body(404, f'configmaps "{key}" not found')
    return 200, {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": docs.metadata(key, NAMESPACE),
        "data": dict(data),
    }


def _yaml_list(key: str, values: Sequence[str]) -> str:
    return f"{key}:\n" + "".join(f"- {value}\n" for value in values) if values else f"{key}: []\n"


def _item(key: str, cluster: PlatformCluster, ports: Mapping[str, int]) -> dict[str, Any] | None:
    if key == TKESTACK and cluster.type is not None:
        return docs.platform_cluster(cluster, ports)
    if key == CAPI and cluster.capi:
        return docs.capi_cluster(cluster, ports)
    if key == KAMAJI and cluster.tcp_status is not None:
        return docs.tenant_control_plane(cluster, ports)
    return None
