"""What collection learned about one target: its version, nodes, error, and for a cluster
that must move, what its upgrade plan is built from. Plain data between collection and
evaluation; never part of a report as such."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model.core import Evidence, NodeSummary, ScanError
from scanner.model.platform import ResourcePatch
from scanner.versions import KubeVersion


@dataclass(frozen=True)
class DeprecatedRequest:
    """``apiserver_requested_deprecated_apis`` for one group/version/resource: clients asked
    for this API (its series folded into one, what was requested named)."""

    group: str
    version: str
    resource: str
    # What was requested: the resource and/or its subresources ("cronjobs", "cronjobs/status").
    paths: tuple[str, ...] = ()
    removed_release: str = ""  # the metric's own label, e.g. "1.25"
    series: int = 1  # the series folded into this one group/version/resource


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
    # process_start_time_seconds of the API server that counted the deprecated requests
    # (from the same /metrics stream): usage is counted since then. None: not read.
    counted_since: float | None = None
    # Series of the family naming resources beyond the ones kept (counted, not held).
    requested_dropped: int = 0


@dataclass(frozen=True)
class Observation:
    """What collection learned about one target: a version, or an error, never both missing.

    ``evidence`` says what the version is: the cluster's live answer, or the version the
    platform records (a cluster known only from its record, or one that could not be read);
    ``provenance`` is then how a finding judged on it says so."""

    context: str
    version: KubeVersion | None = None
    nodes: NodeSummary | None = None
    error: ScanError | None = None
    duration_seconds: float = 0.0
    nodes_error: ScanError | None = None
    plan_inputs: PlanInputs | None = None  # read only for a cluster whose upgrade has a path
    evidence: Evidence = Evidence.LIVE
    provenance: str = ""  # with evidence other than live: what a finding says of its source
    # The cluster's own ResourcePatches; None: not read (resource_patches_error says why).
    resource_patches: tuple[ResourcePatch, ...] | None = None
    resource_patches_error: str = ""
