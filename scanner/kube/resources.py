"""The catalogue of every API the scanner reads, and the one place request paths are built.

As lightkube's ``prepare_request`` builds every path from a resource description, every read
here is a :class:`Resource` (group, version, plural, scope) or one of the non-resource URLs,
and :meth:`Resource.path` makes its path. Every segment that comes from data (a namespace,
an object name) is escaped, and ``.`` or ``..`` are refused: a name from a document never
walks a request out of the resource it names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote

VERSION_PATH = "/version"
METRICS_PATH = "/metrics"
APIS_PATH = "/apis"  # API discovery: the group list
CORE_PATH = "/api/v1"


def segment(text: str) -> str:
    """One path segment from data: percent-escaped, never empty, ``.`` or ``..``."""
    if text in ("", ".", ".."):
        raise ValueError(f"{text!r} cannot be a path segment")
    return quote(text, safe="")


def group_version_path(group_version: str) -> str:
    """``/apis/<group>/<version>`` (``/api/v1`` for the core group's ``v1``)."""
    if group_version == "v1":
        return CORE_PATH
    group, _, version = group_version.partition("/")
    return f"{APIS_PATH}/{segment(group)}/{segment(version)}"


@dataclass(frozen=True)
class Resource:
    """One kind of API object: ``group`` "" is the core group; an empty ``version`` means the
    group/version is not published and API discovery must find it."""

    group: str
    version: str
    plural: str
    namespaced: bool = False

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resolved(self) -> bool:
        return bool(self.version)

    def at(self, group_version: str) -> Resource:
        """The same resource served at another group/version (found by API discovery)."""
        group, _, version = group_version.rpartition("/")
        return replace(self, group=group, version=version)

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """``/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>]`` (``/api/v1/...``
        for the core group); without ``namespace`` a namespaced resource is listed across
        every namespace."""
        if not self.resolved:
            raise ValueError(f"{self.plural}: no group/version to read it at")
        where = f"/namespaces/{segment(namespace)}" if namespace else ""
        tail = f"/{segment(name)}" if name else ""
        return f"{group_version_path(self.group_version)}{where}/{segment(self.plural)}{tail}"

    def label(self, namespace: str | None = None, name: str | None = None) -> str:
        """``clusters.platform.tkestack.io``, with the object and namespace where they apply."""
        text = f"{self.plural}.{self.group}" if self.group else self.plural
        if name:
            text += f"/{name}"
        return f"{text} in {namespace}" if namespace else text


# Every cluster: what collection reads.
NODES = Resource("", "v1", "nodes")
PDBS = Resource("policy", "v1", "poddisruptionbudgets", namespaced=True)
CONFIGMAPS = Resource("", "v1", "configmaps", namespaced=True)

# The global cluster: the platform's records (PLATFORM.md). Group/versions that are not
# published are the documented or assumed ones; API discovery finds the served ones.
TKESTACK_CLUSTERS = Resource("platform.tkestack.io", "v1", "clusters")
CAPI_CLUSTERS = Resource("cluster.x-k8s.io", "v1beta1", "clusters", namespaced=True)
TENANT_CONTROL_PLANES = Resource(
    "kamaji.clastix.io", "v1alpha1", "tenantcontrolplanes", namespaced=True
)
SHADOWS = Resource("config.alauda.io", "v1", "clusterversionshadows", namespaced=True)
PRODUCTBASES = Resource("product.alauda.io", "v1alpha1", "productbases")
MODULEINFOS = Resource("cluster.alauda.io", "v1alpha1", "moduleinfoes")
CLUSTERMODULES = Resource("cluster.alauda.io", "v1alpha1", "clustermodules")
# Every cluster (PLATFORM.md section 8, item 1): cluster-scoped, in the operator group.
RESOURCEPATCHES = Resource("operator.alauda.io", "v1alpha1", "resourcepatches")
# The global cluster: its etcd backup configuration (Cluster Enhancer plugin), and the
# node certificate requests still pending.
ETCD_BACKUPS = Resource("enhancement.cluster.alauda.io", "v1", "etcdbackupconfigurations")
CSRS = Resource("certificates.k8s.io", "v1", "certificatesigningrequests")

# Groups whose resources API discovery lists: the platform's own and the documented ones.
PLATFORM_GROUP_SUFFIXES = (".alauda.io", ".cpaas.io")
