"""The one report model (SPEC section 6): JSON dumps it, templates lay it out, ``report``
re-renders from it. ``to_dict``/``from_dict`` round-trip exactly."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scanner.errors import ReportError
from scanner.model import (
    Extension,
    Finding,
    Gate,
    NodeSummary,
    Plan,
    PolicyRef,
    Preflight,
    Role,
    ScanError,
    Severity,
    Status,
    UpgradeController,
    Verdict,
)
from scanner.versions import KubeVersion, detect_provider

SCHEMA_VERSION = 1
TOOL_NAME = "upgrade-scanner"
SOURCE_KUBECONFIG = "kubeconfig"  # scanned through a kubeconfig context
SOURCE_RECORD = "platform-record"  # known only from the global cluster's record of it
SOURCE_PROXY = "platform-proxy"  # a recorded cluster scanned through the platform's proxy


@dataclass(frozen=True)
class ClusterResult:
    context: str
    name: str
    role: Role
    kind: str
    provider: str
    server: str
    status: Status
    version: KubeVersion | None = None
    nodes: NodeSummary | None = None
    error: ScanError | None = None
    findings: tuple[Finding, ...] = ()
    upgrade_path: tuple[str, ...] = ()
    owner: str = ""
    notes: str = ""
    source: str = SOURCE_KUBECONFIG
    kind_source: str = ""  # inventory, discovery or unknown; "" means derive it from kind
    recorded_version: str | None = None  # what the global cluster records, when it does
    # The platform's upgrade operator's view of this cluster (its ClusterVersionShadow);
    # None: no shadow (before 4.3, or not readable: the platform notes say which).
    upgrade_controller: UpgradeController | None = None
    # Its extensions (ModuleInfos); None: not read, () none installed.
    extensions: tuple[Extension, ...] | None = None
    plan: Plan | None = None  # None: no plan computed (it need not move, or --no-plan)

    def __post_init__(self) -> None:
        if not self.kind_source:  # reports from before discovery: only an inventory set kinds
            origin = "unknown" if self.kind == "unknown" else "inventory"
            object.__setattr__(self, "kind_source", origin)

    @property
    def top_finding(self) -> Finding | None:
        """The most important finding: blockers first, then warnings, then info."""
        order = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return min(self.findings, key=lambda f: order[f.severity], default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "name": self.name,
            "role": self.role.value,
            "kind": self.kind,
            "provider": self.provider,
            "server": self.server,
            "status": self.status.value,
            "version": self.version.to_dict() if self.version else None,
            "nodes": self.nodes.to_dict() if self.nodes else None,
            "error": self.error.to_dict() if self.error else None,
            "findings": [f.to_dict() for f in self.findings],
            "upgrade_path": list(self.upgrade_path),
            "owner": self.owner,
            "notes": self.notes,
            "source": self.source,
            "kind_source": self.kind_source,
            "recorded_version": self.recorded_version,
            "upgrade_controller": (
                self.upgrade_controller.to_dict() if self.upgrade_controller else None
            ),
            "extensions": (
                [e.to_dict() for e in self.extensions] if self.extensions is not None else None
            ),
            "plan": self.plan.to_dict() if self.plan else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClusterResult:
        version = KubeVersion.from_dict(data["version"]) if data.get("version") else None
        return cls(
            context=str(data["context"]),
            name=str(data.get("name") or data["context"]),
            role=Role(data["role"]),
            kind=str(data.get("kind") or "unknown"),
            provider=str(
                data.get("provider") or (detect_provider(version.suffix) if version else "")
            ),
            server=str(data.get("server") or ""),
            status=Status(data["status"]),
            version=version,
            nodes=NodeSummary.from_dict(data["nodes"]) if data.get("nodes") else None,
            error=ScanError.from_dict(data["error"]) if data.get("error") else None,
            findings=tuple(Finding.from_dict(f) for f in data.get("findings") or ()),
            upgrade_path=tuple(str(s) for s in data.get("upgrade_path") or ()),
            owner=str(data.get("owner") or ""),
            notes=str(data.get("notes") or ""),
            source=str(data.get("source") or SOURCE_KUBECONFIG),
            kind_source=str(data.get("kind_source") or ""),
            recorded_version=_optional_text(data.get("recorded_version")),
            upgrade_controller=(
                UpgradeController.from_dict(data["upgrade_controller"])
                if data.get("upgrade_controller")
                else None
            ),
            extensions=(
                tuple(Extension.from_dict(e) for e in data["extensions"])
                if data.get("extensions") is not None
                else None
            ),
            plan=Plan.from_dict(data["plan"]) if data.get("plan") else None,
        )


def _optional_text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


CURRENT_FROM_FLAG = "flag"
CURRENT_FROM_GLOBAL = "global-cluster"
CURRENT_FROM_PRODUCTBASE = "productbase"


@dataclass(frozen=True)
class PlatformInfo:
    """What platform discovery found on the global cluster, for the report.

    ``current_version`` is the current platform version the scan used (``from``), and
    ``current_version_source`` says where it came from (``flag``, ``global-cluster`` or
    ``None``); ``discovered_version`` is what the global cluster reports, if it does.
    ``preflight`` is ``None`` when the platform has no result: never read that as a pass.
    """

    discovered: bool = False  # at least one platform API answered
    current_version: str | None = None
    current_version_source: str | None = None
    discovered_version: str | None = None
    records: int = 0
    notes: tuple[str, ...] = ()
    preflight: Preflight | None = None
    disabled_checks: tuple[str, ...] | None = None  # cvo-config; None: not read
    gates: tuple[Gate, ...] | None = None  # admin-gates with admin-acks; None: not read
    resource_patches: int | None = None  # ResourcePatches found; None: not read

    def to_dict(self) -> dict[str, Any]:
        return {
            "discovered": self.discovered,
            "current_version": self.current_version,
            "current_version_source": self.current_version_source,
            "discovered_version": self.discovered_version,
            "records": self.records,
            "notes": list(self.notes),
            "preflight": self.preflight.to_dict() if self.preflight else None,
            "disabled_checks": (
                list(self.disabled_checks) if self.disabled_checks is not None else None
            ),
            "gates": [g.to_dict() for g in self.gates] if self.gates is not None else None,
            "resource_patches": self.resource_patches,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlatformInfo:
        preflight = data.get("preflight")
        return cls(
            discovered=bool(data.get("discovered")),
            current_version=_optional_text(data.get("current_version")),
            current_version_source=_optional_text(data.get("current_version_source")),
            discovered_version=_optional_text(data.get("discovered_version")),
            records=int(data.get("records") or 0),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            preflight=Preflight.from_dict(preflight) if preflight else None,
            disabled_checks=(
                tuple(str(c) for c in data["disabled_checks"])
                if data.get("disabled_checks") is not None
                else None
            ),
            gates=(
                tuple(Gate.from_dict(g) for g in data["gates"])
                if data.get("gates") is not None
                else None
            ),
            resource_patches=(
                int(data["resource_patches"]) if data.get("resource_patches") is not None else None
            ),
        )


@dataclass(frozen=True)
class Summary:
    total: int
    pass_: int
    warn: int
    blocked: int
    unknown: int
    waived: int = 0
    plan_blockers: int = 0  # blockers on the way, in every cluster's upgrade plan
    must_move: int = 0  # clusters with an upgrade plan
    plan_steps: int = 0  # their steps, in total
    removed_apis_in_use: int = 0  # distinct removed APIs clients still request on the way

    @classmethod
    def of(cls, clusters: Sequence[ClusterResult]) -> Summary:
        def count(status: Status) -> int:
            return sum(1 for c in clusters if c.status is status)

        return cls(
            total=len(clusters),
            pass_=count(Status.PASS),
            warn=count(Status.WARN),
            blocked=count(Status.BLOCKED),
            unknown=count(Status.UNKNOWN),
            waived=sum(1 for c in clusters for f in c.findings if f.waiver is not None),
            plan_blockers=sum(c.plan.blockers for c in clusters if c.plan),
            must_move=sum(1 for c in clusters if c.plan),
            plan_steps=sum(len(c.plan.steps) for c in clusters if c.plan),
            removed_apis_in_use=len(
                {
                    f.id.split("/", 2)[2]
                    for c in clusters
                    if c.plan
                    for f in c.plan.findings
                    if f.rule == "removed-api"
                }
            ),
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "pass": self.pass_,
            "warn": self.warn,
            "blocked": self.blocked,
            "unknown": self.unknown,
            "waived": self.waived,
            "plan_blockers": self.plan_blockers,
            "must_move": self.must_move,
            "plan_steps": self.plan_steps,
            "removed_apis_in_use": self.removed_apis_in_use,
        }


@dataclass(frozen=True)
class Change:
    """One difference between two runs, for one cluster."""

    context: str
    before: str | None = None  # status, version or finding id, as the section says
    after: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "from": self.before,
            "to": self.after,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            str(data["context"]), data.get("from"), data.get("to"), str(data.get("detail", ""))
        )


CHANGE_SECTIONS = ("new_blockers", "resolved", "status_changes", "version_changes")


@dataclass(frozen=True)
class Changes:
    """What changed since the previous run (``since`` is its ``generated_at``)."""

    since: str
    previous_verdict: str
    new_blockers: tuple[Change, ...] = ()
    resolved: tuple[Change, ...] = ()
    status_changes: tuple[Change, ...] = ()
    version_changes: tuple[Change, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(getattr(self, section) for section in CHANGE_SECTIONS)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"since": self.since, "previous_verdict": self.previous_verdict}
        for section in CHANGE_SECTIONS:
            data[section] = [change.to_dict() for change in getattr(self, section)]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Changes:
        sections = {
            section: tuple(Change.from_dict(c) for c in data.get(section) or ())
            for section in CHANGE_SECTIONS
        }
        return cls(str(data["since"]), str(data.get("previous_verdict", "")), **sections)


@dataclass(frozen=True)
class Report:
    """A whole run. ``metadata`` holds run facts for auditors (host, user, command line)."""

    tool_version: str
    generated_at: str
    duration_seconds: float
    target: str
    from_version: str | None
    policy: PolicyRef
    verdict: Verdict
    exit_code: int
    clusters: tuple[ClusterResult, ...]
    notes: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    changes: Changes | None = None
    platform: PlatformInfo | None = None  # None: a report from before platform discovery
    schema_version: int = SCHEMA_VERSION

    @property
    def summary(self) -> Summary:
        return Summary.of(self.clusters)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "tool": {"name": TOOL_NAME, "version": self.tool_version},
            "generated_at": self.generated_at,
            "duration_seconds": round(self.duration_seconds, 3),
            "target": self.target,
            "from": self.from_version,
            "policy": self.policy.to_dict(),
            "verdict": self.verdict.value,
            "exit_code": self.exit_code,
            "summary": self.summary.to_dict(),
            "clusters": [c.to_dict() for c in self.clusters],
            "notes": list(self.notes),
            "metadata": dict(self.metadata),
            "changes": self.changes.to_dict() if self.changes else None,
            "platform": self.platform.to_dict() if self.platform else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "report") -> Report:
        if not isinstance(data, Mapping):
            raise ReportError(f"{where}: not a JSON object; expected an upgrade-scanner report")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ReportError(
                f"{where}: schema_version {version!r} is not one this tool reads "
                f"(expected {SCHEMA_VERSION}); re-run the scan with this version"
            )
        try:
            policy = data["policy"]
            return cls(
                tool_version=str(data["tool"]["version"]),
                generated_at=str(data["generated_at"]),
                duration_seconds=float(data["duration_seconds"]),
                target=str(data["target"]),
                from_version=data.get("from"),
                policy=PolicyRef(str(policy["id"]), str(policy["source"]), str(policy["sha256"])),
                verdict=Verdict(data["verdict"]),
                exit_code=int(data["exit_code"]),
                clusters=tuple(ClusterResult.from_dict(c) for c in data["clusters"]),
                notes=tuple(str(n) for n in data.get("notes") or ()),
                metadata=dict(data.get("metadata") or {}),
                changes=Changes.from_dict(data["changes"]) if data.get("changes") else None,
                platform=PlatformInfo.from_dict(data["platform"]) if data.get("platform") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportError(f"{where}: malformed report ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def from_json(cls, text: str, *, where: str = "report") -> Report:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReportError(f"{where}: not JSON (line {exc.lineno}: {exc.msg})") from exc
        return cls.from_dict(data, where=where)
