"""The reads platform discovery makes on the global cluster: one :class:`Read` per list or
object, each a resource of the kube layer's catalogue (:mod:`scanner.kube.resources`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from scanner.kube.resources import (
    CAPI_CLUSTERS,
    CLUSTERMODULES,
    CONFIGMAPS,
    CSRS,
    ETCD_BACKUPS,
    MODULEINFOS,
    PRODUCTBASES,
    SHADOWS,
    TENANT_CONTROL_PLANES,
    TKESTACK_CLUSTERS,
    Resource,
)

PLATFORM_NAMESPACE = "cpaas-system"
GLOBAL_NAME = "global"  # the platform's name for the global cluster and its own objects


@dataclass(frozen=True)
class Read:
    """One read of the global cluster: a list (``name`` None) or a get of one object.
    ``discover``: the resource's group/version is found by API discovery."""

    key: str
    resource: Resource
    namespace: str | None = None
    name: str | None = None
    discover: bool = False

    @property
    def path(self) -> str:
        return self.resource.path(self.namespace, self.name)

    @property
    def label(self) -> str:
        return self.resource.label(self.namespace, self.name)

    @property
    def plural(self) -> str:
        return self.resource.plural

    def at(self, group_version: str) -> Read:
        return replace(self, resource=self.resource.at(group_version))


TKESTACK = Read("platform-clusters", TKESTACK_CLUSTERS)
CAPI = Read("capi-clusters", CAPI_CLUSTERS, PLATFORM_NAMESPACE)
KAMAJI = Read("tenantcontrolplanes", TENANT_CONTROL_PLANES)
SHADOW_LIST = Read("clusterversionshadows", SHADOWS, PLATFORM_NAMESPACE, discover=True)
PRODUCTBASE = Read("productbase", PRODUCTBASES, name="base", discover=True)
MODULEINFO_LIST = Read("moduleinfoes", MODULEINFOS, discover=True)
CLUSTERMODULE_LIST = Read("clustermodules", CLUSTERMODULES, discover=True)
ETCD_BACKUP = Read("etcd-backup", ETCD_BACKUPS, name="etcd-backup-default")
CSR_LIST = Read("certificatesigningrequests", CSRS)
CVO_CONFIG = Read("cvo-config", CONFIGMAPS, PLATFORM_NAMESPACE, "cvo-config")
ADMIN_GATES = Read("admin-gates", CONFIGMAPS, PLATFORM_NAMESPACE, "admin-gates")
ADMIN_ACKS = Read("admin-acks", CONFIGMAPS, PLATFORM_NAMESPACE, "admin-acks")
READS = (
    TKESTACK,
    CAPI,
    KAMAJI,
    SHADOW_LIST,
    PRODUCTBASE,
    MODULEINFO_LIST,
    CLUSTERMODULE_LIST,
    ETCD_BACKUP,
    CSR_LIST,
    CVO_CONFIG,
    ADMIN_GATES,
    ADMIN_ACKS,
)
# ConfigMaps: one that does not exist (404) is an empty one, not "not read".
CONFIG_MAPS = (CVO_CONFIG, ADMIN_GATES, ADMIN_ACKS)
