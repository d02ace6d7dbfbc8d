"""The clusters the global cluster manages, as its three cluster APIs record them, merged by
name into one :class:`ClusterRecord` each. Plain data, no I/O.

- ``platform.tkestack.io/v1`` ``clusters`` (cluster-scoped): ``spec.type`` (``Baremetal``
  or ``Imported``), ``spec.version``, ``status.version``, ``status.phase``,
  ``status.conditions``, ``status.addresses`` (``host``, ``port``).
- Cluster API ``cluster.x-k8s.io/v1beta1`` ``clusters`` in ``cpaas-system``:
  ``spec.infrastructureRef.kind``, ``spec.controlPlaneRef.kind``,
  ``spec.controlPlaneEndpoint`` (``host``, ``port``).
- Kamaji ``kamaji.clastix.io/v1alpha1`` ``tenantcontrolplanes`` (every namespace):
  ``spec.kubernetes.version``, ``status.kubernetesResources.version`` (``version``,
  ``status``), ``status.controlPlaneEndpoint``.

A Cluster API cluster and its Kamaji TenantControlPlane carry the cluster's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scanner.kube.documents import clip, dig, listed, name_of, text

IPI_INFRASTRUCTURE = frozenset({"DCSCluster", "VSphereCluster", "HCSCluster", "BaremetalCluster"})
UPI_INFRASTRUCTURE = frozenset({"UserProvisionedCluster"})
HOSTED_CONTROL_PLANES = frozenset({"KamajiControlPlane"})
READY = "Ready"


@dataclass(frozen=True)
class ClusterRecord:
    """One cluster the global cluster manages, as its APIs describe it."""

    name: str
    kind: str | None = None  # ipi, upi, hosted, third-party; None when the records do not say
    version: str | None = None  # the recorded Kubernetes version, as written
    phase: str = ""
    problems: tuple[str, ...] = ()  # conditions that are not True
    endpoints: tuple[str, ...] = ()  # API server "host:port", lower case
    control_plane: str = ""  # "namespace/name" of its Kamaji TenantControlPlane
    control_plane_status: str | None = None  # that TenantControlPlane's status

    @property
    def server(self) -> str:
        return f"https://{self.endpoints[0]}" if self.endpoints else ""


def merge_records(
    platform_clusters: Sequence[Mapping[str, Any]],
    capi_clusters: Sequence[Mapping[str, Any]],
    control_planes: Sequence[Mapping[str, Any]],
) -> tuple[ClusterRecord, ...]:
    """One record per cluster name, in order of first appearance across the three lists."""
    by_api: list[dict[str, Mapping[str, Any]]] = [
        _by_name(found) for found in (platform_clusters, capi_clusters, control_planes)
    ]
    names = list(dict.fromkeys(name for found in by_api for name in found))
    return tuple(
        _record(name, by_api[0].get(name), by_api[1].get(name), by_api[2].get(name))
        for name in names
    )


def _record(
    name: str,
    tke: Mapping[str, Any] | None,
    capi: Mapping[str, Any] | None,
    tcp: Mapping[str, Any] | None,
) -> ClusterRecord:
    tcp_version = dig(tcp, "status", "kubernetesResources", "version")
    versions = (
        tcp_version.get("version"),
        dig(tke, "status").get("version"),
        dig(tke, "spec").get("version"),
        dig(tcp, "spec", "kubernetes").get("version"),
        dig(capi, "spec", "topology").get("version"),
    )
    return ClusterRecord(
        name=name,
        kind=kind_of(tke, capi, tcp),
        version=next((clip(v) for v in versions if isinstance(v, str) and v.strip()), None),
        phase=text(dig(tke, "status").get("phase") or dig(capi, "status").get("phase")),
        problems=_condition_problems(dig(tke, "status").get("conditions")),
        endpoints=tuple(dict.fromkeys(_endpoints(tke, capi, tcp))),
        control_plane=f"{text(dig(tcp, 'metadata').get('namespace'))}/{name}" if tcp else "",
        control_plane_status=(text(tcp_version.get("status")) or None) if tcp else None,
    )


def kind_of(
    tke: Mapping[str, Any] | None,
    capi: Mapping[str, Any] | None,
    tcp: Mapping[str, Any] | None,
) -> str | None:
    """The cluster kind; ``None`` when the records do not say.

    Cluster API references decide first (a Kamaji control plane is ``hosted`` whatever the
    infrastructure), then a TenantControlPlane of that name, then an imported platform
    cluster (``third-party``).
    """
    if capi is not None:
        control_plane = text(dig(capi, "spec", "controlPlaneRef").get("kind"))
        infrastructure = text(dig(capi, "spec", "infrastructureRef").get("kind"))
        if control_plane in HOSTED_CONTROL_PLANES:
            return "hosted"
        if infrastructure in IPI_INFRASTRUCTURE:
            return "ipi"
        if infrastructure in UPI_INFRASTRUCTURE:
            return "upi"
        if not control_plane and not infrastructure:
            return "third-party"
    if tcp is not None:
        return "hosted"
    if text(dig(tke, "spec").get("type")).lower() == "imported":
        return "third-party"
    return None


def _endpoints(*documents: Mapping[str, Any] | None) -> Iterable[str]:
    tke, capi, tcp = documents
    for address in listed(dig(tke, "status").get("addresses")):
        if isinstance(address, dict):
            found = endpoint(address.get("host"), address.get("port"))
            if found:
                yield found
    capi_endpoint = dig(capi, "spec", "controlPlaneEndpoint")
    found = endpoint(capi_endpoint.get("host"), capi_endpoint.get("port"))
    if found:
        yield found
    tcp_endpoint = dig(tcp, "status").get("controlPlaneEndpoint")
    if isinstance(tcp_endpoint, str) and tcp_endpoint.strip():
        found = url_endpoint(tcp_endpoint)
        if found:
            yield found


def endpoint(host: Any, port: Any) -> str | None:
    """``host:port`` as compared with kubeconfig servers (443 when no port is recorded)."""
    if not isinstance(host, str) or not host.strip():
        return None
    number = port if isinstance(port, int) and not isinstance(port, bool) else None
    if isinstance(port, str) and port.isdigit():
        number = int(port)
    return f"{host.strip().strip('[]').lower()}:{number or 443}"


def url_endpoint(url: str) -> str | None:
    """A server URL (or bare ``host:port``) as ``host:port``; ``None`` when it has no host."""
    stripped = url.strip()
    try:
        parts = urlsplit(stripped if "//" in stripped else f"//{stripped}")
        port = parts.port
    except ValueError:
        return None
    default = 80 if parts.scheme == "http" else 443
    return endpoint(parts.hostname, port or default)


def _condition_problems(conditions: Any) -> tuple[str, ...]:
    problems = []
    for condition in listed(conditions):
        if isinstance(condition, dict) and text(condition.get("status")) == "False":
            reason = text(condition.get("reason") or condition.get("message"))
            problems.append(
                f"{text(condition.get('type'))} False" + (f" ({reason})" if reason else "")
            )
    return tuple(problems)


def _by_name(found: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    by_name: dict[str, Mapping[str, Any]] = {}
    for item in found:
        name = name_of(item)
        if name:
            by_name.setdefault(name, item)
    return by_name
