"""What the global cluster records about the clusters it manages: plain data, no I/O.

:mod:`scanner.platform.read` reads the API documents; this module turns them into one
:class:`PlatformRecord` per managed cluster and a :class:`Discovery` that also carries the
current platform version and the platform's own upgrade preflight. Everything here is
optional: an API the global cluster does not serve, or that RBAC forbids, is a note.

The APIs (vendor schemas):

- ``platform.tkestack.io/v1`` ``clusters`` (cluster-scoped): ``spec.type`` (``Baremetal``
  or ``Imported``), ``spec.version``, ``status.version``, ``status.phase``,
  ``status.conditions``, ``status.addresses`` (``host``, ``port``).
- Cluster API ``cluster.x-k8s.io/v1beta1`` ``clusters`` in ``cpaas-system``:
  ``spec.infrastructureRef.kind``, ``spec.controlPlaneRef.kind``,
  ``spec.controlPlaneEndpoint`` (``host``, ``port``).
- Kamaji ``kamaji.clastix.io/v1alpha1`` ``tenantcontrolplanes`` (every namespace):
  ``spec.kubernetes.version``, ``status.kubernetesResources.version`` (``version``,
  ``status``), ``status.controlPlaneEndpoint``.
- ``config.alauda.io/v1`` ``clusterversionshadows`` ``global`` in ``cpaas-system``:
  ``status.current`` (a version string, or an object with ``version``) and
  ``status.preflight`` (``observedAt``, ``checks[]``).

Records from the three cluster APIs are merged by name (a Cluster API cluster and its
Kamaji TenantControlPlane carry the cluster's name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scanner.kube.errors import FetchError
from scanner.kube.reader import dig
from scanner.model import Preflight, PreflightCheck

PLATFORM_NAMESPACE = "cpaas-system"
IPI_INFRASTRUCTURE = frozenset({"DCSCluster", "VSphereCluster", "HCSCluster", "BaremetalCluster"})
UPI_INFRASTRUCTURE = frozenset({"UserProvisionedCluster"})
HOSTED_CONTROL_PLANES = frozenset({"KamajiControlPlane"})
READY = "Ready"
_TEXT_LIMIT = 500  # characters kept of any text a cluster API gives us
_CHECK_LIMIT = 200  # preflight checks kept


@dataclass(frozen=True)
class Api:
    """One read of the global cluster: a list (``name`` None) or a get of one object."""

    key: str
    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None

    @property
    def path(self) -> str:
        """The request path: ``/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>]``."""
        where = f"/namespaces/{self.namespace}" if self.namespace else ""
        name = f"/{self.name}" if self.name else ""
        return f"/apis/{self.group}/{self.version}{where}/{self.plural}{name}"

    @property
    def label(self) -> str:
        """``clusters.platform.tkestack.io``, with the object and namespace where they apply."""
        text = f"{self.plural}.{self.group}"
        if self.name:
            text += f"/{self.name}"
        return f"{text} in {self.namespace}" if self.namespace else text


TKESTACK = Api("platform-clusters", "platform.tkestack.io", "v1", "clusters")
CAPI = Api("capi-clusters", "cluster.x-k8s.io", "v1beta1", "clusters", PLATFORM_NAMESPACE)
KAMAJI = Api("tenantcontrolplanes", "kamaji.clastix.io", "v1alpha1", "tenantcontrolplanes")
SHADOW = Api(
    "clusterversionshadow",
    "config.alauda.io",
    "v1",
    "clusterversionshadows",
    PLATFORM_NAMESPACE,
    "global",
)
APIS = (TKESTACK, CAPI, KAMAJI, SHADOW)


@dataclass(frozen=True)
class PlatformRecord:
    """One cluster the global cluster manages, as its APIs describe it."""

    name: str
    kind: str | None = None  # ipi, upi, hosted, third-party; None when the records do not say
    kind_evidence: str = ""  # what the kind was read from, for the report
    version: str | None = None  # the recorded Kubernetes version, as written
    phase: str = ""
    problems: tuple[str, ...] = ()  # conditions that are not True
    endpoints: tuple[str, ...] = ()  # API server "host:port", lower case
    control_plane: str = ""  # "namespace/name" of its Kamaji TenantControlPlane
    control_plane_status: str | None = None  # that TenantControlPlane's status

    @property
    def server(self) -> str:
        return f"https://{self.endpoints[0]}" if self.endpoints else ""


@dataclass(frozen=True)
class Discovery:
    """Everything discovery learned; ``read`` holds the keys of the APIs that answered."""

    records: tuple[PlatformRecord, ...] = ()
    current_version: str | None = None
    preflight: Preflight | None = None
    notes: tuple[str, ...] = ()
    read: frozenset[str] = field(default_factory=frozenset)
    duration_seconds: float = 0.0

    @property
    def registry_read(self) -> bool:
        """Whether a list of the platform's clusters was read, so absence means something."""
        return TKESTACK.key in self.read or CAPI.key in self.read

    def record(self, name: str) -> PlatformRecord | None:
        return next((r for r in self.records if r.name == name), None)


def skipped(reason: str) -> Discovery:
    return Discovery(notes=(f"platform discovery skipped: {reason}",))


def parse_discovery(answers: Mapping[str, Any], duration_seconds: float = 0.0) -> Discovery:
    """``answers`` maps an :class:`Api` key to its items (a list), its object (a mapping) or
    the :class:`FetchError` that read ended with; a missing key was not answered in time."""
    notes: list[str] = []
    for api in APIS:
        answer = answers.get(api.key)
        if answer is None:
            notes.append(f"{api.label}: no answer before the scan's deadline")
        elif isinstance(answer, FetchError):
            notes.append(api_note(api, answer))
    read = frozenset(
        api.key for api in APIS if api.key in answers and not _failed(answers[api.key])
    )
    records = merge_records(
        _items(answers.get(TKESTACK.key)),
        _items(answers.get(CAPI.key)),
        _items(answers.get(KAMAJI.key)),
    )
    shadow = answers.get(SHADOW.key)
    current, preflight, shadow_notes = read_shadow(shadow if isinstance(shadow, Mapping) else None)
    return Discovery(
        records=records,
        current_version=current,
        preflight=preflight,
        notes=(*notes, *(shadow_notes if SHADOW.key in read else ())),
        read=read,
        duration_seconds=duration_seconds,
    )


def api_note(api: Api, error: FetchError) -> str:
    """One line saying why an API could not be read, and what to do about it."""
    if error.message.startswith("HTTP 404"):
        what = "API not installed, or no such object" if api.name else "API not installed"
        return f"{api.label}: not found on the global cluster (HTTP 404, {what})"
    if error.category.value == "auth":
        return (
            f"{api.label}: not readable ({_clip(error.message)}); grant the scanning user "
            "the read permissions in deploy/rbac.yaml"
        )
    return f"{api.label}: not read ({error.category.value}: {_clip(error.message)})"


def merge_records(
    platform_clusters: Sequence[Mapping[str, Any]],
    capi_clusters: Sequence[Mapping[str, Any]],
    control_planes: Sequence[Mapping[str, Any]],
) -> tuple[PlatformRecord, ...]:
    """One record per cluster name, in order of first appearance across the three lists."""
    by_api: list[dict[str, Mapping[str, Any]]] = [
        _by_name(items) for items in (platform_clusters, capi_clusters, control_planes)
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
) -> PlatformRecord:
    kind, evidence = kind_of(tke, capi, tcp)
    tcp_version = dig(tcp, "status", "kubernetesResources", "version")
    versions = (
        tcp_version.get("version"),
        dig(tke, "status").get("version"),
        dig(tke, "spec").get("version"),
        dig(tcp, "spec", "kubernetes").get("version"),
        dig(capi, "spec", "topology").get("version"),
    )
    tcp_meta = dig(tcp, "metadata")
    return PlatformRecord(
        name=name,
        kind=kind,
        kind_evidence=evidence,
        version=next((_clip(v) for v in versions if isinstance(v, str) and v.strip()), None),
        phase=_text(dig(tke, "status").get("phase") or dig(capi, "status").get("phase")),
        problems=_condition_problems(dig(tke, "status").get("conditions")),
        endpoints=tuple(dict.fromkeys(_endpoints(tke, capi, tcp))),
        control_plane=f"{_text(tcp_meta.get('namespace'))}/{name}" if tcp else "",
        control_plane_status=(_text(tcp_version.get("status")) or None) if tcp else None,
    )


def kind_of(
    tke: Mapping[str, Any] | None,
    capi: Mapping[str, Any] | None,
    tcp: Mapping[str, Any] | None,
) -> tuple[str | None, str]:
    """The cluster kind and what it was read from; ``None`` when the records do not say.

    Cluster API references decide first (a Kamaji control plane is ``hosted`` whatever the
    infrastructure), then a TenantControlPlane of that name, then an imported platform
    cluster (``third-party``).
    """
    if capi is not None:
        control_plane = _text(dig(capi, "spec", "controlPlaneRef").get("kind"))
        infrastructure = _text(dig(capi, "spec", "infrastructureRef").get("kind"))
        if control_plane in HOSTED_CONTROL_PLANES:
            return "hosted", f"Cluster API controlPlaneRef {control_plane}"
        if infrastructure in IPI_INFRASTRUCTURE:
            return "ipi", f"Cluster API infrastructureRef {infrastructure}"
        if infrastructure in UPI_INFRASTRUCTURE:
            return "upi", f"Cluster API infrastructureRef {infrastructure}"
        if not control_plane and not infrastructure:
            return "third-party", "Cluster API cluster without infrastructure or control plane"
    if tcp is not None:
        return "hosted", "Kamaji TenantControlPlane"
    cluster_type = _text(dig(tke, "spec").get("type"))
    if cluster_type.lower() == "imported":
        return "third-party", f"platform cluster type {cluster_type}"
    if capi is not None:
        refs = ", ".join(
            f"{ref} {kind}"
            for ref in ("infrastructureRef", "controlPlaneRef")
            if (kind := _text(dig(capi, "spec", ref).get("kind")))
        )
        return None, f"Cluster API {refs} is not a known kind"
    return None, f"platform cluster type {cluster_type}" if cluster_type else ""


def read_shadow(
    shadow: Mapping[str, Any] | None,
) -> tuple[str | None, Preflight | None, tuple[str, ...]]:
    """The current platform version and the preflight of the ``global`` version shadow."""
    status = dig(shadow, "status")
    current = status.get("current")
    if isinstance(current, Mapping):  # the schema leaves the shape open: accept both
        current = current.get("version")
    notes: list[str] = []
    version = _clip(current).strip() if isinstance(current, str) and current.strip() else None
    if version is None:
        notes.append(f"{SHADOW.label}: status.current has no version")
    raw = dig(status, "preflight")
    checks = [
        _check(item) for item in _list(raw.get("checks"))[:_CHECK_LIMIT] if isinstance(item, dict)
    ]
    observed = raw.get("observedAt")
    preflight = (
        Preflight(_text(observed) or None, tuple(c for c in checks if c.name)) if checks else None
    )
    return version, preflight, tuple(notes)


def _check(item: Mapping[str, Any]) -> PreflightCheck:
    return PreflightCheck(
        name=_text(item.get("name")),
        policy=_text(item.get("policy")),
        state=_text(item.get("state")),
        reason=_text(item.get("reason")),
        message=_text(item.get("message")),
    )


def _endpoints(*documents: Mapping[str, Any] | None) -> Iterable[str]:
    tke, capi, tcp = documents
    for address in _list(dig(tke, "status").get("addresses")):
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
    text = url.strip()
    try:
        parts = urlsplit(text if "//" in text else f"//{text}")
        port = parts.port
    except ValueError:
        return None
    default = 80 if parts.scheme == "http" else 443
    return endpoint(parts.hostname, port or default)


def _condition_problems(conditions: Any) -> tuple[str, ...]:
    problems = []
    for condition in _list(conditions):
        if isinstance(condition, dict) and _text(condition.get("status")) == "False":
            reason = _text(condition.get("reason") or condition.get("message"))
            problems.append(
                f"{_text(condition.get('type'))} False" + (f" ({reason})" if reason else "")
            )
    return tuple(problems)


def _by_name(items: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for item in items:
        name = _text(dig(item, "metadata").get("name"))
        if name:
            found.setdefault(name, item)
    return found


def _items(answer: Any) -> list[Mapping[str, Any]]:
    return [item for item in answer if isinstance(item, dict)] if isinstance(answer, list) else []


def _failed(answer: Any) -> bool:
    return answer is None or isinstance(answer, FetchError)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return _clip(value) if isinstance(value, str) else ""


def _clip(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"
