"""The fleet's upgrade roadmap: the platform's route to the target, and every action of it
(workload clusters' Kubernetes steps, the platform hops) grouped into maintenance windows;
with the history of earlier runs, whether the rollout is moving."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scanner.serial import Serial, json_key

KUBERNETES = "kubernetes"
PLATFORM = "platform"


@dataclass(frozen=True)
class RoadmapAction(Serial):
    """One thing to do in a window: a workload cluster's Kubernetes minors ``from`` -> ``to``
    (one or more steps), or the global cluster's platform hop. ``blocked_by``: the finding ids
    that must be fixed first (the plan's blockers on those steps, the platform's blockers)."""

    cluster: str
    kind: str  # "kubernetes" or "platform"
    from_version: str = field(metadata=json_key("from"))
    to: str
    blocked_by: tuple[str, ...] = ()
    wave: int | None = None
    requires: tuple[str, ...] = ()  # a platform hop: gates to acknowledge, manual checks

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)


@dataclass(frozen=True)
class RoadmapWindow(Serial):
    """One maintenance window: what is done in it, in order."""

    index: int
    actions: tuple[RoadmapAction, ...] = ()
    hop: str = ""  # the platform hop this window prepares or is ("4.2 -> 4.3")


@dataclass(frozen=True)
class ProgressPoint(Serial):
    """One run of an output directory, as the burn-down draws it."""

    generated_at: str
    must_move: int = 0
    plan_blockers: int = 0
    windows: int = 0
    remaining_steps: int = 0  # Kubernetes minors still to climb, over the fleet


@dataclass(frozen=True)
class Roadmap(Serial):
    """The route (current release first), the windows, how many, and the clusters that set
    that number; clusters that could not be placed, and (with history) the ones stalled."""

    route: tuple[str, ...]
    windows: tuple[RoadmapWindow, ...] = ()
    total_windows: int = 0
    critical_path: tuple[str, ...] = ()
    route_reason: str = ""
    steps_per_window: int = 1
    max_parallel: int = 20
    not_planned: tuple[str, ...] = ()  # "<context>: why" (no version, newer than the goal)
    stalled: tuple[str, ...] = ()
    history: tuple[ProgressPoint, ...] = ()  # earlier runs, oldest first, then this one
    remaining: Mapping[str, int] = field(default_factory=dict)  # context -> minors to climb

    @property
    def actions(self) -> tuple[RoadmapAction, ...]:
        return tuple(a for w in self.windows for a in w.actions)

    @property
    def blocked_actions(self) -> int:
        return sum(1 for a in self.actions if a.blocked)

    @property
    def remaining_steps(self) -> int:
        return sum(self.remaining.values())
