"""The vocabulary every stage shares: roles, statuses, severities, error categories, and the
values that flow between stages (observations, findings, waivers, the platform preflight).

Everything here is a frozen dataclass or an enum, with no I/O and no import of any stage.
The target (a kubeconfig context to scan) is defined by the inputs stage
(:mod:`scanner.inputs.targets`); the report model that wraps cluster results is
:mod:`scanner.report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from scanner.versions import KubeVersion


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


CLUSTER_KINDS = ("ipi", "upi", "hosted", "third-party", "unknown")


@dataclass(frozen=True)
class ScanError:
    """Why a cluster could not be scanned. ``message`` never carries a secret."""

    category: ErrorCategory
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"category": self.category.value, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScanError:
        return cls(ErrorCategory(data["category"]), str(data.get("message", "")))


@dataclass(frozen=True)
class NodeSummary:
    """What the node list says, reduced to counts by raw version / runtime string."""

    count: int
    kubelet_versions: Mapping[str, int] = field(default_factory=dict)
    container_runtimes: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "kubelet_versions": dict(sorted(self.kubelet_versions.items())),
            "container_runtimes": dict(sorted(self.container_runtimes.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeSummary:
        return cls(
            count=int(data.get("count", 0)),
            kubelet_versions={
                str(k): int(v) for k, v in (data.get("kubelet_versions") or {}).items()
            },
            container_runtimes={
                str(k): int(v) for k, v in (data.get("container_runtimes") or {}).items()
            },
        )


@dataclass(frozen=True)
class Observation:
    """What collection learned about one target: a version, or an error, never both missing."""

    context: str
    version: KubeVersion | None = None
    nodes: NodeSummary | None = None
    error: ScanError | None = None
    duration_seconds: float = 0.0
    nodes_error: ScanError | None = None


@dataclass(frozen=True)
class Waiver:
    """An approved exception: a finding it matches stays visible but stops counting."""

    finding: str  # a stable finding id or a shell glob of ids
    reason: str
    ticket: str
    approved_by: str
    expires: str  # YYYY-MM-DD, the last day it applies

    def to_dict(self) -> dict[str, str]:
        return {
            "finding": self.finding,
            "reason": self.reason,
            "ticket": self.ticket,
            "approved_by": self.approved_by,
            "expires": self.expires,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Waiver:
        return cls(**{key: str(data.get(key, "")) for key in WAIVER_KEYS})


WAIVER_KEYS = ("finding", "reason", "ticket", "approved_by", "expires")


@dataclass(frozen=True)
class Finding:
    id: str
    rule: str
    severity: Severity
    message: str
    remediation: str = ""
    waiver: Waiver | None = None  # set when a waiver applies: the finding no longer counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "remediation": self.remediation,
            "waiver": self.waiver.to_dict() if self.waiver else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            id=str(data["id"]),
            rule=str(data["rule"]),
            severity=Severity(data["severity"]),
            message=str(data.get("message", "")),
            remediation=str(data.get("remediation", "")),
            waiver=Waiver.from_dict(data["waiver"]) if data.get("waiver") else None,
        )


PREFLIGHT_STATES = ("Passed", "Retry", "Failed")


@dataclass(frozen=True)
class PreflightCheck:
    """One check of the platform's own upgrade preflight, as the global cluster recorded it."""

    name: str
    policy: str = ""
    state: str = ""  # Passed, Retry or Failed; anything else is shown as it is
    reason: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "policy": self.policy,
            "state": self.state,
            "reason": self.reason,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreflightCheck:
        return cls(**{key: str(data.get(key) or "") for key in PREFLIGHT_KEYS})


PREFLIGHT_KEYS = ("name", "policy", "state", "reason", "message")


@dataclass(frozen=True)
class Preflight:
    """The checks the platform's upgrade operator last observed, and when."""

    observed_at: str | None = None
    checks: tuple[PreflightCheck, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"observed_at": self.observed_at, "checks": [c.to_dict() for c in self.checks]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preflight:
        observed = data.get("observed_at")
        return cls(
            observed_at=str(observed) if observed else None,
            checks=tuple(PreflightCheck.from_dict(c) for c in data.get("checks") or ()),
        )


@dataclass(frozen=True)
class PolicyRef:
    """Which policy judged a run: its id, where its data came from and the file's sha256."""

    id: str
    source: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "source": self.source, "sha256": self.sha256}
