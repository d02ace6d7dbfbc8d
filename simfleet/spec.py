"""What a simulated cluster looks like: versions, nodes, credentials and how it misbehaves."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:  # simfleet.platform builds its documents with responses, which imports us
    from simfleet.platform import PlatformSpec

AuthMode = Literal["token", "cert", "exec", "basic"]
ExecMode = Literal["ok", "fail", "hang", "cert", "garbage"]
AUTH_MODES: tuple[str, ...] = get_args(AuthMode)
EXEC_MODES: tuple[str, ...] = get_args(ExecMode)

_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")
_MAJOR_MINOR = re.compile(r"^v?(\d+)\.(\d+)")


class Failure(StrEnum):
    """Every way a simulated cluster can misbehave. The values are the names used in specs."""

    HANG = "hang"  # TLS handshake completes, then the server never answers
    NO_TLS = "no_tls"  # TCP accepted, the TLS handshake never happens
    REFUSED = "refused"  # nothing listens on the port
    RESET = "reset"  # TCP accepted, then reset (RST) on the first bytes
    STATUS_401 = "status_401"
    STATUS_403 = "status_403"
    STATUS_404 = "status_404"  # 404 on /version only
    STATUS_500 = "status_500"
    FLAKY_503 = "flaky_503"  # the first request gets 503, later ones are healthy
    HTML = "html"  # 200 with an HTML proxy login page
    NO_VERSION = "no_version"  # 200 JSON without a usable version
    BIG_BODY = "big_body"  # 64 MiB 200 body on /version
    TRICKLE = "trickle"  # 200, Content-Length 1000, one byte a second
    WRONG_CA = "wrong_ca"  # server cert from another CA than the kubeconfig's
    HOSTNAME_MISMATCH = "hostname_mismatch"  # cert valid only for other.invalid
    EXPIRED = "expired"  # server cert expired, signed by the cluster CA
    NODES_403 = "nodes_403"  # /version is fine, /api/v1/nodes is 403


@dataclass(frozen=True)
class NodeSpec:
    """One node; a field left None takes the cluster's default."""

    kubelet_version: str | None = None
    container_runtime: str | None = None
    os_image: str | None = None
    kernel_version: str | None = None
    ready: bool = True  # its Ready condition


@dataclass(frozen=True)
class ClusterSpec:
    """One simulated cluster. The context, cluster and user in the kubeconfig use `name`."""

    name: str
    git_version: str | None = "v1.34.1"  # None: /version has no gitVersion key at all
    major: str | None = None  # None: what the apiserver reports for git_version
    minor: str | None = None
    version_doc: Mapping[str, Any] | None = None  # replaces the whole /version body
    node_count: int = 3
    kubelet_version: str | None = None  # default: git_version
    container_runtime: str = "containerd://1.7.22"
    os_image: str = "Ubuntu 22.04.5 LTS"
    kernel_version: str = "5.15.0-122-generic"
    nodes: Sequence[NodeSpec] | None = None  # explicit nodes; replaces node_count
    node_items: Sequence[Mapping[str, Any]] | None = None  # raw NodeList items (override)
    latency: float = 0.0  # seconds before each response
    auth: AuthMode = "token"
    failure: Failure | str | None = None
    exec_mode: ExecMode = "ok"
    missing_client_cert: bool = False  # kubeconfig points at a client cert file that is absent
    platform: PlatformSpec | None = None  # the platform APIs a global cluster serves
    # Upgrade-plan reads. Series of apiserver_requested_deprecated_apis with value 1:
    # {group, version, resource[, subresource, removed_release]}.
    deprecated_requests: Sequence[Mapping[str, str]] = ()
    metrics_status: int = 200  # e.g. 403: RBAC forbids /metrics (common)
    metrics_padding: int = 64_000  # bytes of other metric families around the family
    # PodDisruptionBudgets: {namespace, name, allowed, expected}.
    pdbs: Sequence[Mapping[str, Any]] = ()
    # The API server's uptime, as /metrics reports it (process_start_time_seconds).
    uptime_hours: float = 720.0
    # Its own ResourcePatches (operator.alauda.io/v1alpha1, cluster-scoped):
    # {name, kind, namespace, target, exempt_for}; patches_status 403 (RBAC) or 404 (the
    # ResourcePatch API is not installed).
    resource_patches: Sequence[Mapping[str, str]] = ()
    patches_status: int = 200

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"cluster name {self.name!r}: use lowercase letters, digits, '-', '.'")
        if self.failure is not None:
            try:
                object.__setattr__(self, "failure", Failure(self.failure))
            except ValueError:
                choices = ", ".join(f.value for f in Failure)
                raise ValueError(
                    f"cluster {self.name}: unknown failure {self.failure!r} (one of {choices})"
                ) from None
        if self.auth not in AUTH_MODES:
            raise ValueError(f"cluster {self.name}: auth {self.auth!r} not in {AUTH_MODES}")
        if self.exec_mode not in EXEC_MODES:
            raise ValueError(
                f"cluster {self.name}: exec_mode {self.exec_mode!r} not in {EXEC_MODES}"
            )
        if self.node_count < 0 or self.latency < 0:
            raise ValueError(f"cluster {self.name}: node_count and latency must be >= 0")
        if self.nodes is not None:
            object.__setattr__(self, "nodes", tuple(self.nodes))
        if self.node_items is not None:
            object.__setattr__(self, "node_items", tuple(self.node_items))
        object.__setattr__(self, "deprecated_requests", tuple(self.deprecated_requests))
        object.__setattr__(self, "pdbs", tuple(self.pdbs))
        object.__setattr__(self, "resource_patches", tuple(self.resource_patches))

    @property
    def reported_major_minor(self) -> tuple[str, str]:
        """major/minor as the apiserver reports them: explicit values win, else from gitVersion."""
        match = _MAJOR_MINOR.match(self.git_version or "")
        derived = (match.group(1), match.group(2)) if match else ("", "")
        major = self.major if self.major is not None else derived[0]
        minor = self.minor if self.minor is not None else derived[1]
        return major, minor

    @property
    def node_specs(self) -> tuple[NodeSpec, ...]:
        if self.nodes is not None:
            return tuple(self.nodes)
        return tuple(NodeSpec() for _ in range(self.node_count))

    @property
    def default_kubelet_version(self) -> str:
        return self.kubelet_version or self.git_version or "v1.34.1"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClusterSpec:
        """Build from JSON-like data (the serve command's fleet files); unknown keys fail."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"cluster {data.get('name')!r}: unknown keys {unknown}")
        values = dict(data)
        if values.get("nodes") is not None:
            values["nodes"] = tuple(NodeSpec(**node) for node in values["nodes"])
        if values.get("platform") is not None:
            from simfleet.platform import PlatformSpec

            values["platform"] = PlatformSpec.from_dict(values["platform"])
        return cls(**values)


def specs_from_json(data: Any) -> list[ClusterSpec]:
    """A fleet file is a list of cluster objects, or {"clusters": [...]}."""
    if isinstance(data, Mapping):
        data = data.get("clusters")
    if not isinstance(data, list) or not data:
        raise ValueError('a fleet file holds a non-empty list of clusters or {"clusters": [...]}')
    return [ClusterSpec.from_dict(item) for item in data]
