"""The vocabulary every stage shares: roles, statuses, severities, error categories, where
evidence and versions came from, and the values every report carries (errors, node counts,
findings, waivers).

Everything here is a frozen dataclass or an enum, with no I/O and no import of any stage.
The target (a kubeconfig context to scan) is defined by the inputs stage
(:mod:`scanner.inputs.targets`); the report model that wraps cluster results is
:mod:`scanner.report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from scanner.serial import Serial, codec


class Role(StrEnum):
    GLOBAL = "global"
    WORKLOAD = "workload"


class Status(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    BLOCKED = "BLOCKED"
    UNKNOWN = "UNKNOWN"


class Verdict(StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"
    INCOMPLETE = "INCOMPLETE"


class Severity(StrEnum):
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"


class ErrorCategory(StrEnum):
    CONFIG = "config"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    TLS = "tls"
    AUTH = "auth"
    HTTP = "http"
    INVALID_RESPONSE = "invalid_response"


class Evidence(StrEnum):
    """Where a finding's evidence came from (SPEC 4)."""

    LIVE = "live"  # the cluster's own answer
    RECORD = "record"  # the platform's record of the cluster
    FLAG = "flag"  # a command-line flag (--from)
    PLATFORM = "platform"  # the platform's own checks and objects
    CONFIG = "config"  # kubeconfig, inventory, policy, waivers


class Access(StrEnum):
    """How a cluster was reached (the report's ``source``)."""

    KUBECONFIG = "kubeconfig"  # through a kubeconfig context
    PLATFORM_PROXY = "platform-proxy"  # a recorded cluster, through the platform's proxy
    PLATFORM_RECORD = "platform-record"  # known only from the global cluster's record


class KindSource(StrEnum):
    """Where a cluster's kind came from."""

    INVENTORY = "inventory"
    DISCOVERY = "discovery"  # the global cluster's records
    UNKNOWN = "unknown"


class CurrentSource(StrEnum):
    """Where the current platform version came from."""

    FLAG = "flag"  # --from
    GLOBAL_CLUSTER = "global-cluster"  # the global ClusterVersionShadow's status.current
    PRODUCTBASE = "productbase"  # ProductBase base status.version (4.0-4.2)


CLUSTER_KINDS = ("ipi", "upi", "hosted", "third-party", "unknown")


@dataclass(frozen=True)
class ScanError(Serial):
    """Why a cluster could not be scanned. ``message`` never carries a secret."""

    category: ErrorCategory
    message: str = ""


def _sorted_counts(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items()))


_COUNTS = codec(_sorted_counts)


@dataclass(frozen=True)
class NodeSummary(Serial):
    """What the node list says, reduced to counts: by raw kubelet version, container
    runtime, kernel and OS image, and how many nodes are not Ready."""

    count: int = 0
    kubelet_versions: Mapping[str, int] = field(default_factory=dict, metadata=_COUNTS)
    container_runtimes: Mapping[str, int] = field(default_factory=dict, metadata=_COUNTS)
    not_ready: int = 0  # nodes whose Ready condition is not True (unknown counts too)
    kernel_versions: Mapping[str, int] = field(default_factory=dict, metadata=_COUNTS)
    os_images: Mapping[str, int] = field(default_factory=dict, metadata=_COUNTS)


WAIVER_KEYS = ("finding", "reason", "ticket", "approved_by", "expires")


@dataclass(frozen=True)
class Waiver(Serial):
    """An approved exception: a finding it matches stays visible but stops counting."""

    finding: str  # a stable finding id or a shell glob of ids
    reason: str = ""
    ticket: str = ""
    approved_by: str = ""
    expires: str = ""  # YYYY-MM-DD, the last day it applies


@dataclass(frozen=True)
class Finding(Serial):
    """One thing a rule found. ``id`` is ``<rule>/<where>`` (see :func:`finding`), stable
    across runs so reports can be diffed and waived."""

    id: str
    rule: str
    severity: Severity
    message: str = ""
    remediation: str = ""
    waiver: Waiver | None = None  # set when a waiver applies: the finding no longer counts
    evidence: Evidence = Evidence.LIVE


def finding(
    rule: str,
    where: str,
    severity: Severity,
    message: str,
    fix: str = "",
    *,
    evidence: Evidence = Evidence.LIVE,
) -> Finding:
    """A finding with the stable id ``<rule>/<where>``: the one constructor, so an id and its
    rule always agree. ``where`` is the context, then any detail (``eks-prod/1.30``)."""
    return Finding(f"{rule}/{where}", rule, severity, message, fix, evidence=evidence)


@dataclass(frozen=True)
class PolicyRef(Serial):
    """Which policy judged a run: its id, where its data came from and the file's sha256."""

    id: str
    source: str
    sha256: str


__all__ = [
    "CLUSTER_KINDS",
    "WAIVER_KEYS",
    "Access",
    "CurrentSource",
    "ErrorCategory",
    "Evidence",
    "Finding",
    "KindSource",
    "NodeSummary",
    "PolicyRef",
    "Role",
    "ScanError",
    "Severity",
    "Status",
    "Verdict",
    "Waiver",
    "finding",
]
