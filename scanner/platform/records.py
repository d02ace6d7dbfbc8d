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
- ``clusterversionshadows`` in ``cpaas-system`` (group found by API discovery; assumed
  ``config.alauda.io/v1``), one per cluster, named after it: ``status.current`` and
  ``status.desired`` (a version string, or an object with ``version``),
  ``status.conditions``, ``status.preflight`` (``observedAt``, ``checks[]``),
  ``status.history[0]``. The one named ``global`` gives the current platform version.
- ``productbases`` ``base`` (``status.version``): the current version on 4.0-4.2.
- ``moduleinfoes`` and ``clustermodules`` (``cluster.alauda.io``): extensions and the
  cluster's base module, attached to clusters by label, owner or name.
- ``resourcepatches`` (every namespace): the ``config.cpaas.io/exempt-for-ver`` annotation.
- ConfigMaps ``cvo-config`` (disabled checks), ``admin-gates`` and ``admin-acks`` in
  ``cpaas-system``; a missing one is empty, a forbidden one is not read.

Records from the three cluster APIs are merged by name (a Cluster API cluster and its
Kamaji TenantControlPlane carry the cluster's name). PLATFORM.md (beside the
specification) says which of these facts are confirmed; the parsing is lenient where they
are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from scanner.kube.errors import FetchError
from scanner.kube.reader import dig
from scanner.model import (
    Condition,
    Extension,
    Gate,
    HistoryEntry,
    Preflight,
    PreflightCheck,
    UpgradeController,
)

PLATFORM_NAMESPACE = "cpaas-system"
IPI_INFRASTRUCTURE = frozenset({"DCSCluster", "VSphereCluster", "HCSCluster", "BaremetalCluster"})
UPI_INFRASTRUCTURE = frozenset({"UserProvisionedCluster"})
HOSTED_CONTROL_PLANES = frozenset({"KamajiControlPlane"})
READY = "Ready"
_TEXT_LIMIT = 500  # characters kept of any text a cluster API gives us
_CHECK_LIMIT = 200  # preflight checks, conditions and gates kept
_CONFIG_LIMIT = 64 << 10  # characters of a ConfigMap value parsed
ITEM_KEEP = 100_000  # objects of one list kept


@dataclass(frozen=True)
class Api:
    """One read of the global cluster: a list (``name`` None) or a get of one object."""

    key: str
    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    discover: bool = False  # group/version found by API discovery (these are the defaults)

    @property
    def path(self) -> str:
        """The request path: ``/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>]``
        (``/api/v1/...`` for the core group)."""
        where = f"/namespaces/{self.namespace}" if self.namespace else ""
        name = f"/{self.name}" if self.name else ""
        root = f"/apis/{self.group}" if self.group else "/api"
        return f"{root}/{self.version}{where}/{self.plural}{name}"

    @property
    def resolved(self) -> bool:
        return bool(self.version)

    @property
    def label(self) -> str:
        """``clusters.platform.tkestack.io``, with the object and namespace where they apply."""
        text = f"{self.plural}.{self.group}" if self.group else self.plural
        if self.name:
            text += f"/{self.name}"
        return f"{text} in {self.namespace}" if self.namespace else text


TKESTACK = Api("platform-clusters", "platform.tkestack.io", "v1", "clusters")
CAPI = Api("capi-clusters", "cluster.x-k8s.io", "v1beta1", "clusters", PLATFORM_NAMESPACE)
KAMAJI = Api("tenantcontrolplanes", "kamaji.clastix.io", "v1alpha1", "tenantcontrolplanes")
# Group/versions below are the documented or assumed ones; API discovery (GET /apis) finds
# the ones the global cluster really serves (PLATFORM.md: the shadow's is not published).
SHADOWS = Api(
    "clusterversionshadows",
    "config.alauda.io",
    "v1",
    "clusterversionshadows",
    PLATFORM_NAMESPACE,
    discover=True,
)
PRODUCTBASE = Api(
    "productbase", "product.alauda.io", "v1alpha1", "productbases", name="base", discover=True
)
MODULEINFOS = Api("moduleinfoes", "cluster.alauda.io", "v1alpha1", "moduleinfoes", discover=True)
CLUSTERMODULES = Api(
    "clustermodules", "cluster.alauda.io", "v1alpha1", "clustermodules", discover=True
)
RESOURCEPATCHES = Api("resourcepatches", "", "", "resourcepatches", discover=True)
CVO_CONFIG = Api("cvo-config", "", "v1", "configmaps", PLATFORM_NAMESPACE, "cvo-config")
ADMIN_GATES = Api("admin-gates", "", "v1", "configmaps", PLATFORM_NAMESPACE, "admin-gates")
ADMIN_ACKS = Api("admin-acks", "", "v1", "configmaps", PLATFORM_NAMESPACE, "admin-acks")
APIS = (
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
)
# Groups whose resources API discovery lists: the platform's own and the documented ones.
PLATFORM_GROUP_SUFFIXES = (".alauda.io", ".cpaas.io")
EXEMPT_ANNOTATION = "config.cpaas.io/exempt-for-ver"
CLUSTER_LABEL = "cpaas.io/cluster-name"
MODULE_LABEL = "cpaas.io/module-name"
LIFECYCLE_LABEL = "cpaas.io/lifecycle-type"


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
class ClusterModuleState:
    """A ClusterModule (one per cluster): whether the platform could upgrade its base."""

    name: str
    deploy_status: str = ""
    running_status: str = ""
    upgradable: bool | None = None
    unable_reason: str = ""


@dataclass(frozen=True)
class ResourcePatch:
    namespace: str
    name: str
    exempt_for: str = ""  # the config.cpaas.io/exempt-for-ver annotation, "" when absent

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


GLOBAL_NAME = "global"  # the platform's name for the global cluster and its own objects
_Entry = TypeVar("_Entry")


def of_cluster(
    table: Mapping[str, _Entry] | None, record: PlatformRecord | None, is_global: bool
) -> _Entry | None:
    """One cluster's entry of a per-cluster table (shadows, extensions, cluster modules): by
    its record's name; the global cluster's objects are named ``global`` whatever its
    record (if any) is called."""
    if table is None:
        return None
    found = table.get(record.name) if record is not None else None
    if found is None and is_global:
        found = table.get(GLOBAL_NAME)
    return found


CURRENT_FROM_SHADOW = "global-cluster"  # the global ClusterVersionShadow's status.current
CURRENT_FROM_PRODUCTBASE = "productbase"  # ProductBase base status.version (4.0-4.2)


@dataclass(frozen=True)
class Discovery:
    """Everything discovery learned; ``read`` holds the keys of the APIs that answered.

    A collection that could not be read is ``None`` (never "none found"): the reports then say
    "not read", and no rule treats it as a pass.
    """

    records: tuple[PlatformRecord, ...] = ()
    current_version: str | None = None
    preflight: Preflight | None = None  # the global cluster's (its shadow's) preflight
    notes: tuple[str, ...] = ()
    read: frozenset[str] = field(default_factory=frozenset)
    duration_seconds: float = 0.0
    current_version_source: str | None = None  # CURRENT_FROM_SHADOW or CURRENT_FROM_PRODUCTBASE
    controllers: Mapping[str, UpgradeController] = field(default_factory=dict)  # by cluster
    extensions: Mapping[str, tuple[Extension, ...]] | None = None  # by cluster
    cluster_modules: Mapping[str, ClusterModuleState] | None = None  # by cluster
    disabled_checks: tuple[str, ...] | None = None
    gates: tuple[Gate, ...] | None = None  # acknowledged set from admin-acks
    resource_patches: tuple[ResourcePatch, ...] | None = None

    @property
    def registry_read(self) -> bool:
        """Whether a list of the platform's clusters was read, so absence means something."""
        return TKESTACK.key in self.read or CAPI.key in self.read

    @property
    def shadows_read(self) -> bool:
        return SHADOWS.key in self.read

    def record(self, name: str) -> PlatformRecord | None:
        return next((r for r in self.records if r.name == name), None)


def skipped(reason: str) -> Discovery:
    return Discovery(notes=(f"platform discovery skipped: {reason}",))


def parse_discovery(
    answers: Mapping[str, Any],
    duration_seconds: float = 0.0,
    apis: Sequence[Api] = APIS,
    notes: Sequence[str] = (),
) -> Discovery:
    """``answers`` maps an :class:`Api` key to its items (a list), its object (a mapping) or
    the :class:`FetchError` that read ended with; a missing key was not answered in time.
    ``apis`` are the reads that were made (API discovery may have left some out: ``notes``
    say why)."""
    found_notes: list[str] = list(notes)
    for api in apis:
        answer = answers.get(api.key)
        if answer is None:
            found_notes.append(f"{api.label}: no answer before the scan's deadline")
        elif isinstance(answer, FetchError) and not _absent_is_empty(api, answer):
            found_notes.append(api_note(api, answer))
    read = frozenset(
        api.key
        for api in apis
        if api.key in answers
        and (not _failed(answers[api.key]) or _absent_is_empty(api, answers[api.key]))
    )
    if not read - CONFIG_MAP_KEYS:
        # No platform API answered: absent ConfigMaps say nothing about a platform there.
        read = frozenset()
    records = merge_records(
        _items(answers.get(TKESTACK.key)),
        _items(answers.get(CAPI.key)),
        _items(answers.get(KAMAJI.key)),
    )
    controllers = read_shadows(_items(answers.get(SHADOWS.key)))
    own = controllers.get(GLOBAL_NAME)
    current, source = (own.current, CURRENT_FROM_SHADOW) if own and own.current else (None, None)
    if SHADOWS.key in read and own is None:
        found_notes.append(f"{SHADOWS.label}: no shadow named global")
    elif own is not None and not own.current:
        found_notes.append(f"{SHADOWS.label}: global: status.current has no version")
    if current is None:
        base = answers.get(PRODUCTBASE.key)
        version = productbase_version(base if isinstance(base, Mapping) else None)
        if version:
            current, source = version, CURRENT_FROM_PRODUCTBASE
        elif PRODUCTBASE.key in read:
            found_notes.append(f"{PRODUCTBASE.label}: status.version has no version")
    names = [record.name for record in records] + list(controllers)
    return Discovery(
        records=records,
        current_version=current,
        current_version_source=source,
        preflight=own.preflight if own else None,
        notes=tuple(found_notes),
        read=read,
        duration_seconds=duration_seconds,
        controllers=controllers,
        extensions=(
            read_module_infos(_items(answers.get(MODULEINFOS.key)), names)
            if MODULEINFOS.key in read
            else None
        ),
        cluster_modules=(
            read_cluster_modules(_items(answers.get(CLUSTERMODULES.key)))
            if CLUSTERMODULES.key in read
            else None
        ),
        disabled_checks=(
            disabled_checks(_object(answers.get(CVO_CONFIG.key)))
            if CVO_CONFIG.key in read
            else None
        ),
        gates=(
            read_gates(_object(answers.get(ADMIN_GATES.key)), _object(answers.get(ADMIN_ACKS.key)))
            if ADMIN_GATES.key in read and ADMIN_ACKS.key in read
            else None
        ),
        resource_patches=(
            read_resource_patches(_items(answers.get(RESOURCEPATCHES.key)))
            if RESOURCEPATCHES.key in read
            else None
        ),
    )


CONFIG_MAP_KEYS = frozenset({CVO_CONFIG.key, ADMIN_GATES.key, ADMIN_ACKS.key})


def _absent_is_empty(api: Api, answer: Any) -> bool:
    """A ConfigMap that does not exist (404) is an empty one: no check disabled, no gate, no
    acknowledgement. A forbidden one is not read."""
    return (
        api in (CVO_CONFIG, ADMIN_GATES, ADMIN_ACKS)
        and isinstance(answer, FetchError)
        and answer.message.startswith("HTTP 404")
    )


def _object(answer: Any) -> Mapping[str, Any] | None:
    return answer if isinstance(answer, Mapping) else None


def read_shadows(items: Sequence[Mapping[str, Any]]) -> dict[str, UpgradeController]:
    """One :class:`UpgradeController` per ClusterVersionShadow, by name (= the cluster's)."""
    found: dict[str, UpgradeController] = {}
    for item in items[:ITEM_KEEP]:
        meta = dig(item, "metadata")
        name = _text(meta.get("name"))
        if name and name not in found:
            found[name] = read_shadow(item, f"{_text(meta.get('namespace'))}/{name}")
    return found


def read_shadow(shadow: Mapping[str, Any] | None, ref: str = "") -> UpgradeController:
    """A shadow's current and desired versions, conditions, preflight and newest history."""
    status = dig(shadow, "status")
    desired = _version_of(status.get("desired")) or _version_of(
        dig(shadow, "spec", "desiredUpdate").get("version")
    )
    raw = dig(status, "preflight")
    checks = [
        _check(item) for item in _list(raw.get("checks"))[:_CHECK_LIMIT] if isinstance(item, dict)
    ]
    observed = raw.get("observedAt")
    preflight = (
        Preflight(_text(observed) or None, tuple(c for c in checks if c.name)) if checks else None
    )
    history = [item for item in _list(status.get("history")) if isinstance(item, dict)]
    newest = history[0] if history else None  # newest first, as OpenShift's twin
    return UpgradeController(
        shadow=ref,
        current=_version_of(status.get("current")),
        desired=desired,
        conditions=tuple(
            Condition(
                type=_text(c.get("type")),
                status=_text(c.get("status")),
                reason=_text(c.get("reason")),
                message=_text(c.get("message")),
            )
            for c in _list(status.get("conditions"))[:_CHECK_LIMIT]
            if isinstance(c, dict) and _text(c.get("type"))
        ),
        preflight=preflight,
        last_update=(
            HistoryEntry(
                version=_version_of(newest.get("version")) or "",
                state=_text(newest.get("state")),
                started=_text(newest.get("startedTime")),
                completed=_text(newest.get("completionTime")),
            )
            if newest
            else None
        ),
    )


def _version_of(value: Any) -> str | None:
    """A version string, or the ``version`` of an object (the schema leaves both open)."""
    if isinstance(value, Mapping):
        value = value.get("version")
    return _clip(value).strip() or None if isinstance(value, str) else None


def productbase_version(base: Mapping[str, Any] | None) -> str | None:
    """ProductBase ``base`` ``status.version`` (the format is assumed ``v4.2.3``)."""
    return _version_of(dig(base, "status").get("version"))


def read_module_infos(
    items: Sequence[Mapping[str, Any]], cluster_names: Sequence[str]
) -> dict[str, tuple[Extension, ...]]:
    """Extensions by cluster. The cluster is the ``cpaas.io/cluster-name`` label, else the
    owner reference's name (a global instance may lack the label), else the longest known
    cluster name the object's name starts with (``<cluster>-<hash>``)."""
    by_cluster: dict[str, list[Extension]] = {}
    names = sorted(set(cluster_names), key=len, reverse=True)
    for item in items[:ITEM_KEEP]:
        meta = dig(item, "metadata")
        labels = dig(meta, "labels")
        name = _text(meta.get("name"))
        owners = [o for o in _list(meta.get("ownerReferences")) if isinstance(o, dict)]
        cluster = _text(labels.get(CLUSTER_LABEL)) or (
            _text(owners[0].get("name")) if owners else ""
        )
        if not cluster:
            cluster = next((n for n in names if name.startswith(f"{n}-")), "")
        if not cluster:
            continue
        status, spec = dig(item, "status"), dig(item, "spec")
        reasons = [_text(r) for r in _list(status.get("blockReasons")) if isinstance(r, str)]
        extension = Extension(
            module=_text(labels.get(MODULE_LABEL)) or _text(spec.get("name")) or name,
            name=name,
            version=_text(status.get("version")),
            target_version=_text(spec.get("version")),
            phase=_text(status.get("phase")),
            lifecycle=(_text(labels.get(LIFECYCLE_LABEL)) or "agnostic").lower(),
            transit_version=_text(status.get("transitVersion")),
            block_reasons=tuple(r for r in reasons if r),
        )
        by_cluster.setdefault(cluster, []).append(extension)
    return {
        cluster: tuple(sorted(found, key=lambda e: e.module))
        for cluster, found in by_cluster.items()
    }


def read_cluster_modules(items: Sequence[Mapping[str, Any]]) -> dict[str, ClusterModuleState]:
    """ClusterModules by cluster: the ``cpaas.io/cluster-name`` label, else the name."""
    found: dict[str, ClusterModuleState] = {}
    for item in items[:ITEM_KEEP]:
        meta = dig(item, "metadata")
        name = _text(meta.get("name"))
        cluster = _text(dig(meta, "labels").get(CLUSTER_LABEL)) or name
        status = dig(item, "status")
        base = dig(status, "base")
        upgradable = status.get("upgradable")
        found.setdefault(
            cluster,
            ClusterModuleState(
                name=name,
                deploy_status=_text(base.get("deployStatus")),
                running_status=_text(base.get("runningStatus")),
                upgradable=upgradable if isinstance(upgradable, bool) else None,
                unable_reason=_text(
                    status.get("unableUpgradeReason") or base.get("unableUpgradeReason")
                ),
            ),
        )
    return found


def disabled_checks(config_map: Mapping[str, Any] | None) -> tuple[str, ...]:
    """``data.preflight`` of ``cpaas-system/cvo-config``: YAML with a ``disabled:`` list of
    check names. Absent, empty or not parseable: nothing is disabled that we can name (an
    unparseable value is kept as a note by the caller's reader of the ConfigMap)."""
    text = dig(config_map, "data").get("preflight")
    if not isinstance(text, str) or not text.strip():
        return ()
    import yaml

    try:
        document = yaml.safe_load(text[:_CONFIG_LIMIT])
    except yaml.YAMLError:
        return (f"(unreadable preflight configuration: {_clip(text)[:80]})",)
    names = document.get("disabled") if isinstance(document, dict) else None
    return tuple(_text(n) for n in _list(names) if isinstance(n, str) and n.strip())


def read_gates(gates: Mapping[str, Any] | None, acks: Mapping[str, Any] | None) -> tuple[Gate, ...]:
    """Every key of ``admin-gates`` ``data`` is a gate (its value, whatever its format, is
    shown as the description); ``admin-acks`` ``data.<key>: "true"`` acknowledges it."""
    acked = {
        str(key)
        for key, value in dig(acks, "data").items()
        if isinstance(value, str) and value.strip().lower() == "true"
    }
    return tuple(
        Gate(key=_clip(key), description=_text(value), acknowledged=str(key) in acked)
        for key, value in sorted(dig(gates, "data").items())[:_CHECK_LIMIT]
    )


def read_resource_patches(items: Sequence[Mapping[str, Any]]) -> tuple[ResourcePatch, ...]:
    found = []
    for item in items[:ITEM_KEEP]:
        meta = dig(item, "metadata")
        found.append(
            ResourcePatch(
                namespace=_text(meta.get("namespace")),
                name=_text(meta.get("name")),
                exempt_for=_text(dig(meta, "annotations").get(EXEMPT_ANNOTATION)),
            )
        )
    return tuple(found)


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
