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
    lifecycle: str = ""  # core, aligned or agnostic (the label, lower case)
    transit_version: str = ""
    block_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gate(Serial):
    """An admin gate of the platform release (``cpaas-system/admin-gates``) and whether
    ``cpaas-system/admin-acks`` acknowledges it."""

    key: str
    description: str = ""
    acknowledged: bool = False
    applies: bool = True  # False: it names another platform version than the target
