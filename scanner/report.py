"""The one report model (SPEC section 6): JSON dumps it, templates lay it out, ``report``
re-renders from it. The JSON form comes from the fields (:mod:`scanner.serial`), so
``to_dict``/``from_dict`` round-trip exactly and a new field needs no code of its own."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from scanner.errors import ReportError
from scanner.model import (
    Access,
    CurrentSource,
    EtcdBackup,
    Extension,
    Finding,
    Gate,
    KindSource,
    ManualCheck,
    NodeSummary,
    PolicyRef,
    Preflight,
    ResourcePatch,
    Roadmap,
    Role,
    ScanError,
    Severity,
    Status,
    UpgradeController,
    UpgradePlan,
    Verdict,
)
from scanner.secrets import unicode_safe_document
from scanner.serial import Serial, SerialError, codec, json_key
from scanner.versions import KubeVersion, detect_provider

SCHEMA_VERSION = 1
TOOL_NAME = "upgrade-scanner"


@dataclass(frozen=True)
class ClusterResult(Serial):
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
    access: Access = field(default=Access.KUBECONFIG, metadata=json_key("source"))
    kind_source: KindSource | None = None  # None: derive it from kind (older reports)
    recorded_version: str | None = None  # what the global cluster records, when it does
    # The platform's upgrade operator's view of this cluster (its ClusterVersionShadow);
    # None: no shadow (before 4.3, or not readable: the platform notes say which).
    upgrade_controller: UpgradeController | None = None
    # Its extensions (ModuleInfos); None: not read, () none installed.
    extensions: tuple[Extension, ...] | None = None
    plan: UpgradePlan | None = None  # None: no plan computed (it need not move, or --no-plan)
    # Its own ResourcePatches; None: not read (the manual checks say so), () none.
    resource_patches: tuple[ResourcePatch, ...] | None = None
    # The platform (distribution) version its ClusterModule's spec.version names: evidence
    # shown, not judged (PLATFORM.md: implied by a vendor design document, not confirmed).
    platform_version: str | None = None
    wave: int | None = None  # the inventory's roadmap wave

    def __post_init__(self) -> None:
        if self.kind_source is None:  # reports from before discovery: only an inventory set kinds
            origin = KindSource.UNKNOWN if self.kind == "unknown" else KindSource.INVENTORY
            object.__setattr__(self, "kind_source", origin)

    @classmethod
    def json_upgrade(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """Reports written before a key existed: the name is the context, the kind
        ``unknown``, the provider read from the version's suffix."""
        filled = dict(data)
        if not filled.get("name"):
            filled["name"] = filled.get("context")
        if not filled.get("kind"):
            filled["kind"] = "unknown"
        version = filled.get("version")
        if not filled.get("provider"):
            suffix = version.get("suffix") if isinstance(version, Mapping) else None
            filled["provider"] = detect_provider(suffix) if isinstance(suffix, str) else ""
        if filled.get("recorded_version") == "":
            filled["recorded_version"] = None
        return filled

    @property
    def top_finding(self) -> Finding | None:
        """The most important finding: blockers first, then warnings, then info."""
        order = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return min(self.findings, key=lambda f: order[f.severity], default=None)


@dataclass(frozen=True)
class PlatformSection(Serial):
    """What platform discovery found on the global cluster, for the report.

    ``current_version`` is the current platform version the scan used (``from``), and
    ``current_version_source`` says where it came from; ``discovered_version`` is what the
    global cluster reports, if it does. ``preflight`` is ``None`` when the platform has no
    result: never read that as a pass. A collection that is ``None`` was not read.
    """

    discovered: bool = False  # at least one platform API answered
    current_version: str | None = None
    current_version_source: CurrentSource | None = None
    discovered_version: str | None = None
    records: int = 0
    notes: tuple[str, ...] = ()
    preflight: Preflight | None = None
    disabled_checks: tuple[str, ...] | None = None  # cvo-config; None: not read
    gates: tuple[Gate, ...] | None = None  # admin-gates with admin-acks; None: not read
    resource_patches: int | None = None  # ResourcePatches read on the fleet; None: none read
    etcd_backup: EtcdBackup | None = None  # the global etcd backup config; None: not read
    pending_csrs: int | None = None  # on the global cluster; None: not read


@dataclass(frozen=True)
class Summary(Serial):
    total: int
    pass_: int = field(metadata=json_key("pass"))
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


@dataclass(frozen=True)
class Change(Serial):
    """One difference between two runs, for one cluster."""

    context: str
    before: str | None = field(default=None, metadata=json_key("from"))
    after: str | None = field(default=None, metadata=json_key("to"))
    detail: str = ""


CHANGE_SECTIONS = (
    "new_blockers",
    "resolved",
    "status_changes",
    "version_changes",
    "roadmap_changes",
)


@dataclass(frozen=True)
class Changes(Serial):
    """What changed since the previous run (``since`` is its ``generated_at``)."""

    since: str
    previous_verdict: str = ""
    new_blockers: tuple[Change, ...] = ()
    resolved: tuple[Change, ...] = ()
    status_changes: tuple[Change, ...] = ()
    version_changes: tuple[Change, ...] = ()
    roadmap_changes: tuple[Change, ...] = ()  # windows, route, each cluster's steps left

    @property
    def empty(self) -> bool:
        return not any(getattr(self, section) for section in CHANGE_SECTIONS)


def _tool(version: str) -> dict[str, str]:
    return {"name": TOOL_NAME, "version": version}


def _tool_version(raw: Any) -> str:
    version = raw.get("version") if isinstance(raw, Mapping) else None
    if not isinstance(version, str):
        raise SerialError("tool", "expected an object with the tool's version")
    return version


@dataclass(frozen=True)
class Report(Serial):
    """A whole run. ``metadata`` holds run facts for auditors (host, user, command line)."""

    json_order = (
        "schema_version",
        "tool",
        "generated_at",
        "duration_seconds",
        "target",
        "from",
        "policy",
        "verdict",
        "exit_code",
        "summary",
    )

    tool_version: str = field(metadata={"json": "tool", **codec(_tool, _tool_version)})
    generated_at: str
    duration_seconds: float = field(metadata=codec(lambda seconds: round(seconds, 3)))
    target: str
    from_version: str | None = field(metadata=json_key("from"))
    policy: PolicyRef
    verdict: Verdict
    exit_code: int
    clusters: tuple[ClusterResult, ...]
    notes: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    changes: Changes | None = None
    platform: PlatformSection | None = None  # None: a report from before platform discovery
    # What the vendor's procedure requires and no API shows; never changes the verdict.
    manual_checks: tuple[ManualCheck, ...] = ()
    # The fleet's upgrade roadmap (upgrades with plans); None: not computed (--no-plan).
    roadmap: Roadmap | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def summary(self) -> Summary:
        return Summary.of(self.clusters)

    def json_extra(self) -> dict[str, Any]:
        return {"summary": self.summary.to_dict()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def write_json(self, handle: TextIO) -> None:
        """:meth:`to_json`, written to ``handle`` piece by piece: a 50,000-cluster report is
        never one string in memory (nor its encoded copy)."""
        encoder = json.JSONEncoder(indent=2, ensure_ascii=False)
        pending: list[str] = []
        size = 0
        for chunk in encoder.iterencode(self.to_dict()):
            pending.append(chunk)
            size += len(chunk)
            if size > 1 << 20:  # a write per megabyte, not per token
                handle.write("".join(pending))
                pending, size = [], 0
        pending.append("\n")
        handle.write("".join(pending))

    @classmethod
    def from_dict(cls, data: Any, path: str = "", *, where: str = "report") -> Report:
        if not isinstance(data, Mapping):
            raise ReportError(f"{where}: not a JSON object; expected an upgrade-scanner report")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ReportError(
                f"{where}: schema_version {version!r} is not one this tool reads "
                f"(expected {SCHEMA_VERSION}); re-run the scan with this version"
            )
        try:
            return super().from_dict(data, path)
        except SerialError as exc:
            raise ReportError(f"{where}: malformed report ({exc})") from None

    @classmethod
    def from_json(cls, text: str, *, where: str = "report") -> Report:
        """A saved report: strict JSON (``NaN`` and ``Infinity`` are not JSON), nested no
        deeper than a report is, every string made safe to write again."""
        try:
            data = json.loads(text, parse_constant=_not_json)
        except json.JSONDecodeError as exc:
            raise ReportError(f"{where}: not JSON (line {exc.lineno}: {exc.msg})") from None
        except RecursionError:
            raise ReportError(f"{where}: nested too deep to be a report") from None
        except ValueError as exc:
            raise ReportError(f"{where}: not JSON ({exc})") from None
        return cls.from_dict(unicode_safe_document(data), where=where)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")
