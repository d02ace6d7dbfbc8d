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
EVIDENCE = ("live", "record", "flag", "platform", "config")


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
class DeprecatedRequest:
    """One series of ``apiserver_requested_deprecated_apis``: clients asked for this API."""

    group: str
    version: str
    resource: str
    subresource: str = ""
    removed_release: str = ""  # the metric's own label, e.g. "1.25"


@dataclass(frozen=True)
class DisruptionBudget:
    namespace: str
    name: str
    disruptions_allowed: int
    expected_pods: int


@dataclass(frozen=True)
class PlanInputs:
    """What a cluster that must move was asked for its upgrade plan. A part that could not be
    read is ``None`` with the reason in ``*_error``: never "nothing found"."""

    requested: tuple[DeprecatedRequest, ...] | None = None  # from GET /metrics
    requested_error: str = ""
    served: frozenset[str] | None = None  # group/versions from GET /apis
    served_error: str = ""
    budgets: tuple[DisruptionBudget, ...] | None = None  # policy/v1 PDBs, all namespaces
    budgets_error: str = ""


@dataclass(frozen=True)
class Observation:
    """What collection learned about one target: a version, or an error, never both missing."""

    context: str
    version: KubeVersion | None = None
    nodes: NodeSummary | None = None
    error: ScanError | None = None
    duration_seconds: float = 0.0
    nodes_error: ScanError | None = None
    plan_inputs: PlanInputs | None = None  # read only for a cluster whose upgrade has a path


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
    # Where the evidence came from (SPEC 4): a live answer of the cluster, the platform's
    # record of it, a flag (--from), the platform's own checks, or configuration (kubeconfig,
    # inventory, policy).
    evidence: str = "live"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "remediation": self.remediation,
            "waiver": self.waiver.to_dict() if self.waiver else None,
            "evidence": self.evidence,
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
            evidence=str(data.get("evidence") or "live"),
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


def _texts(data: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: str(data.get(key) or "") for key in keys}


@dataclass(frozen=True)
class Condition:
    """One condition of a platform object: ``status`` is "True", "False" or "Unknown"."""

    type: str
    status: str = ""
    reason: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in CONDITION_KEYS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Condition:
        return cls(**_texts(data, CONDITION_KEYS))


CONDITION_KEYS = ("type", "status", "reason", "message")


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a version shadow's upgrade history (the newest is kept)."""

    version: str = ""
    state: str = ""
    started: str = ""
    completed: str = ""

    def to_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in HISTORY_KEYS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEntry:
        return cls(**_texts(data, HISTORY_KEYS))


HISTORY_KEYS = ("version", "state", "started", "completed")


@dataclass(frozen=True)
class UpgradeController:
    """One cluster as the platform's upgrade operator sees it (its ClusterVersionShadow).

    ``preflight`` None means the operator has no result for this cluster yet: never a pass.
    """

    shadow: str  # "namespace/name" of the ClusterVersionShadow
    current: str | None = None
    desired: str | None = None
    conditions: tuple[Condition, ...] = ()
    preflight: Preflight | None = None
    last_update: HistoryEntry | None = None

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "shadow": self.shadow,
            "current": self.current,
            "desired": self.desired,
            "conditions": [c.to_dict() for c in self.conditions],
            "preflight": self.preflight.to_dict() if self.preflight else None,
            "last_update": self.last_update.to_dict() if self.last_update else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UpgradeController:
        preflight, last = data.get("preflight"), data.get("last_update")
        return cls(
            shadow=str(data.get("shadow") or ""),
            current=str(data["current"]) if data.get("current") else None,
            desired=str(data["desired"]) if data.get("desired") else None,
            conditions=tuple(Condition.from_dict(c) for c in data.get("conditions") or ()),
            preflight=Preflight.from_dict(preflight) if preflight else None,
            last_update=HistoryEntry.from_dict(last) if last else None,
        )


@dataclass(frozen=True)
class Extension:
    """One extension (a ModuleInfo on the global cluster) installed on a cluster."""

    module: str
    version: str = ""  # status.version: what runs
    target_version: str = ""  # spec.version
    phase: str = ""
    lifecycle: str = ""  # core, aligned or agnostic (the label, lower case)
    transit_version: str = ""
    block_reasons: tuple[str, ...] = ()
    name: str = ""  # the ModuleInfo's own name

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "name": self.name,
            "version": self.version,
            "target_version": self.target_version,
            "phase": self.phase,
            "lifecycle": self.lifecycle,
            "transit_version": self.transit_version,
            "block_reasons": list(self.block_reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Extension:
        keys = ("module", "name", "version", "target_version", "phase", "lifecycle")
        return cls(
            **_texts(data, (*keys, "transit_version")),
            block_reasons=tuple(str(r) for r in data.get("block_reasons") or ()),
        )


@dataclass(frozen=True)
class Gate:
    """An admin gate of the platform release (``cpaas-system/admin-gates``) and whether
    ``cpaas-system/admin-acks`` acknowledges it."""

    key: str
    description: str = ""
    acknowledged: bool = False
    applies: bool = True  # False: it names another platform version than the target

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "description": self.description,
            "acknowledged": self.acknowledged,
            "applies": self.applies,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Gate:
        return cls(
            key=str(data.get("key") or ""),
            description=str(data.get("description") or ""),
            acknowledged=bool(data.get("acknowledged")),
            applies=bool(data.get("applies", True)),
        )


@dataclass(frozen=True)
class PolicyRef:
    """Which policy judged a run: its id, where its data came from and the file's sha256."""

    id: str
    source: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "source": self.source, "sha256": self.sha256}


@dataclass(frozen=True)
class PlanStep:
    """One minor of an upgrade path and what breaks when the control plane reaches it."""

    to: str
    findings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"to": self.to, "findings": [f.to_dict() for f in self.findings]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanStep:
        found = tuple(Finding.from_dict(f) for f in data.get("findings") or ())
        return cls(str(data["to"]), found)


@dataclass(frozen=True)
class Plan:
    """A cluster's upgrade plan: its path one minor at a time, with what breaks at each step.
    Its findings never change the cluster's status (SPEC 9); they are counted apart."""

    to: str
    steps: tuple[PlanStep, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for step in self.steps for f in step.findings)

    @property
    def blockers(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.BLOCKER)

    def to_dict(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "steps": [step.to_dict() for step in self.steps],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            to=str(data["to"]),
            steps=tuple(PlanStep.from_dict(s) for s in data.get("steps") or ()),
            notes=tuple(str(n) for n in data.get("notes") or ()),
        )
