"""What the platform says of a cluster, as the report shows it: the upgrade operator's view
(its ClusterVersionShadow, with conditions, preflight checks and the newest history entry),
the extensions installed on the cluster, and the release's admin gates."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.serial import Serial

PREFLIGHT_STATES = ("Passed", "Retry", "Failed")


@dataclass(frozen=True)
class PreflightCheck(Serial):
    """One check of the platform's own upgrade preflight, as the global cluster recorded it."""

    name: str
    policy: str = ""
    state: str = ""  # Passed, Retry or Failed; anything else is shown as it is
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class Preflight(Serial):
    """The checks the platform's upgrade operator last observed, and when."""

    observed_at: str | None = None
    checks: tuple[PreflightCheck, ...] = ()


@dataclass(frozen=True)
class Condition(Serial):
    """One condition of a platform object: ``status`` is "True", "False" or "Unknown"."""

    type: str
    status: str = ""
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class HistoryEntry(Serial):
    """One entry of a version shadow's upgrade history (the newest is kept)."""

    version: str = ""
    state: str = ""
    started: str = ""
    completed: str = ""


@dataclass(frozen=True)
class UpgradeController(Serial):
    """One cluster as the platform's upgrade operator sees it (its ClusterVersionShadow).

    ``preflight`` None means the operator has no result for this cluster yet: never a pass.
    """

    shadow: str = ""  # "namespace/name" of the ClusterVersionShadow
    current: str | None = None
    desired: str | None = None
    conditions: tuple[Condition, ...] = ()
    preflight: Preflight | None = None
    last_update: HistoryEntry | None = None

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)


@dataclass(frozen=True)
class Extension(Serial):
    """One extension (a ModuleInfo on the global cluster) installed on a cluster."""

    module: str
    name: str = ""  # the ModuleInfo's own name
    version: str = ""  # status.version: what runs
    target_version: str = ""  # spec.version
    phase: str = ""
    lifecycle: str = ""  # the ModulePluginView label when present (lower case), else unknown
    transit_version: str = ""
    block_reasons: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()

    @property
    def between_versions(self) -> bool:
        """Ready only when ``status.version == spec.version`` and no transit version is set
        (the vendor's design doc: the status lags while an upgrade runs)."""
        moving = self.target_version and self.version and self.version != self.target_version
        return bool(moving or self.transit_version)


@dataclass(frozen=True)
class ResourcePatch(Serial):
    """A ResourcePatch (``operator.alauda.io``, cluster-scoped) of one cluster: what it
    patches and whether ``config.cpaas.io/exempt-for-ver`` exempts it for a target."""

    name: str
    target_kind: str = ""
    target_namespace: str = ""
    target_name: str = ""
    target_api_version: str = ""
    exempt_for: str = ""  # the annotation, "" when absent
    release: str = ""  # spec.release
    phase: str = ""

    @property
    def target_text(self) -> str:
        """``Deployment kube-system/coredns`` (what the patch changes)."""
        where = "/".join(p for p in (self.target_namespace, self.target_name) if p)
        return " ".join(p for p in (self.target_kind, where) if p) or "(no target)"


@dataclass(frozen=True)
class BackupRecord(Serial):
    """One record of an etcd backup configuration's ``status.records``."""

    timestamp: str = ""  # backupTimestamp, as written
    file: str = ""
    result: str = ""  # Success, or what the platform wrote


@dataclass(frozen=True)
class EtcdBackup(Serial):
    """The global cluster's etcd backup configuration (``etcd-backup-default``)."""

    name: str
    paused: bool = False
    schedule: str = ""
    records: int = 0
    newest: BackupRecord | None = None
    newest_success: BackupRecord | None = None


@dataclass(frozen=True)
class ManualCheck(Serial):
    """A check of the vendor's procedure no API shows, and why it is on this run's list."""

    id: str
    text: str
    source: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Gate(Serial):
    """An admin gate of the platform release (``cpaas-system/admin-gates``) and whether
    ``cpaas-system/admin-acks`` acknowledges it."""

    key: str
    description: str = ""
    acknowledged: bool = False
    applies: bool = True  # False: it names another platform version than the target
