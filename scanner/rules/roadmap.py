"""The fleet's upgrade roadmap (issue 21), from what the scan already knows, in the vendor's
order (PLATFORM.md section 8, item 11): the global cluster moves first along the platform's
route; before each platform hop every workload cluster must satisfy the next release's rule
(the current release's newest minor for a ``latest`` release, the window for a ``window``
one), moving one Kubernetes minor at a time and only to minors the global cluster's release
already supports; a cluster that already satisfies the rule does not move.

The actions are grouped into maintenance windows: a cluster climbs at most
``steps_per_window`` minors in one window, at most ``max_parallel`` workload clusters upgrade
in one window, and an inventory ``wave`` orders them: a cluster reaches a minor only after
every cluster of a lower wave that passes through that minor has reached it. Within those
rules the clusters with the most steps left go first (the longest-first rule keeps the number
of windows low). Each platform hop is a window of its own. Plain data in, a
:class:`~scanner.model.Roadmap` out.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scanner import defaults
from scanner.inputs.policy import Minor, Policy, Release, format_minor, latest_minor
from scanner.model import (
    KUBERNETES,
    PLATFORM,
    Roadmap,
    RoadmapAction,
    RoadmapWindow,
)

DEFAULT_STEPS_PER_WINDOW = defaults.STEPS_PER_WINDOW
DEFAULT_MAX_PARALLEL = defaults.MAX_PARALLEL  # the vendor's limit on 4.0-4.2
_NO_WAVE = 1 << 30  # clusters without a wave go after every numbered wave


@dataclass(frozen=True)
class Mover:
    """One workload cluster as the roadmap sees it: its minor now (None: not known), its
    wave, and the finding ids that block each step of its plan (by the step's minor)."""

    context: str
    minor: Minor | None
    wave: int | None = None
    blockers: Mapping[Minor, tuple[str, ...]] = field(default_factory=dict)
    why_unknown: str = "its version is not known"


@dataclass(frozen=True)
class Hop:
    """What the platform hop from the current release needs (known for the first hop only:
    later hops are judged by a scan run after the earlier ones)."""

    cluster: str  # the global cluster's context
    blocked_by: tuple[str, ...] = ()  # blockers the Kubernetes steps do not fix
    requires: tuple[str, ...] = ()  # gates to acknowledge, manual checks


@dataclass(frozen=True)
class Settings:
    steps_per_window: int = DEFAULT_STEPS_PER_WINDOW
    max_parallel: int = DEFAULT_MAX_PARALLEL


def build_roadmap(
    policy: Policy,
    current: Release,
    target: Release,
    movers: Sequence[Mover],
    hop: Hop,
    settings: Settings = Settings(),
    *,
    current_text: str | None = None,
    target_text: str | None = None,
) -> Roadmap:
    """The roadmap along the route with the fewest windows (then the fewest hops)."""
    routes = policy.upgrade_routes(current.version, target.version)
    if current.version == target.version:
        routes = [(current.version, target.version)]  # a patch upgrade: one hop
    if not routes:
        return Roadmap(
            route=(current_text or current.version, target_text or target.version),
            route_reason=f"the policy has no supported route from {current.version} to "
            f"{target.version}",
            steps_per_window=settings.steps_per_window,
            max_parallel=settings.max_parallel,
        )

    def shown(route: tuple[str, ...]) -> tuple[str, ...]:
        """The route as given: the current and target versions as the run names them."""
        return (current_text or current.version, *route[1:-1], target_text or target.version)

    built = [_along(policy, route, shown(route), movers, hop, settings) for route in routes]
    chosen = min(range(len(built)), key=lambda i: (built[i].total_windows, len(routes[i])))
    best = built[chosen]
    return Roadmap(
        route=best.route,
        windows=best.windows,
        total_windows=best.total_windows,
        critical_path=best.critical_path,
        route_reason=_reason(routes, built, chosen),
        steps_per_window=settings.steps_per_window,
        max_parallel=settings.max_parallel,
        not_planned=best.not_planned,
        remaining=best.remaining,
    )


def _reason(routes: Sequence[tuple[str, ...]], built: Sequence[Roadmap], chosen: int) -> str:
    def name(route: tuple[str, ...]) -> str:
        return " -> ".join(route)

    windows = built[chosen].total_windows
    if len(routes) == 1:
        kind = "a direct upgrade" if len(routes[0]) == 2 else "the only route the policy supports"
        return f"{kind}: {windows} window{'' if windows == 1 else 's'}"
    others = sorted(
        (built[i].total_windows, name(routes[i])) for i in range(len(routes)) if i != chosen
    )
    alternatives = "; ".join(f"{route} would take {count}" for count, route in others[:3])
    return f"the fewest windows ({windows}) of {len(routes)} supported routes; {alternatives}"


def _along(
    policy: Policy,
    route: tuple[str, ...],
    names: tuple[str, ...],
    movers: Sequence[Mover],
    hop: Hop,
    settings: Settings,
) -> Roadmap:
    """The windows of one route: for each hop, the Kubernetes steps it needs, then the hop."""
    at: dict[str, Minor] = {m.context: m.minor for m in movers if m.minor is not None}
    not_planned = [f"{m.context}: {m.why_unknown}" for m in movers if m.minor is None]
    start = dict(at)
    windows: list[RoadmapWindow] = []
    critical: list[str] = []
    dropped: set[str] = set()
    waves = {m.context: m.wave for m in movers}
    blockers = {m.context: m.blockers for m in movers}
    for number, (here, there) in enumerate(itertools.pairwise(route)):
        prev, nxt = policy.releases[here], policy.releases[there]
        label = f"{names[number]} -> {names[number + 1]}"
        goals: dict[str, Minor] = {}
        for context, minor in at.items():
            if context in dropped:
                continue
            goal, problem = _goal(prev, nxt, minor)
            if problem:
                not_planned.append(f"{context}: {problem} (before {label})")
                dropped.add(context)
            elif goal is not None and goal > minor:
                goals[context] = goal
        phase = _schedule(at, goals, waves, blockers, settings, len(windows), label)
        if phase:
            critical.extend(a.cluster for a in phase[-1].actions if a.cluster not in critical)
        windows.extend(phase)
        for context, goal in goals.items():
            at[context] = goal
        windows.append(_hop_window(hop, names, number, len(windows) + 1, label))
    remaining = {
        context: _distance(start[context], minor)
        for context, minor in at.items()
        if context in start and _distance(start[context], minor) > 0
    }
    return Roadmap(
        route=names,
        windows=tuple(windows),
        total_windows=len(windows),
        critical_path=tuple(critical),
        not_planned=tuple(not_planned),
        remaining=remaining,
    )


def _hop_window(
    hop: Hop, names: tuple[str, ...], number: int, index: int, label: str
) -> RoadmapWindow:
    """The window of a platform hop. Only the first hop's blockers and needs are known now:
    a later one is judged by a scan run after the earlier hops."""
    first = number == 0
    action = RoadmapAction(
        cluster=hop.cluster,
        kind=PLATFORM,
        from_version=names[number],
        to=names[number + 1],
        blocked_by=hop.blocked_by if first else (),
        requires=hop.requires if first else ("re-run the scan before this hop",),
    )
    return RoadmapWindow(index=index, actions=(action,), hop=label)


def _goal(prev: Release, nxt: Release, minor: Minor) -> tuple[Minor | None, str]:
    """Where a cluster on ``minor`` must be before the global cluster goes from ``prev`` to
    ``nxt`` (None: it need not move), or why it cannot get there."""
    if nxt.rule == "window":
        window = sorted(nxt.compatible_minors)
        if not window or minor in window:
            return None, ""
        if minor > window[-1]:
            return None, f"on {format_minor(minor)}, newer than the {nxt.version} window"
        goal = next(m for m in window if m > minor)
    else:
        latest = latest_minor(prev)
        if latest is None or minor == latest:
            return None, ""
        if minor > latest:
            return None, f"on {format_minor(minor)}, newer than {prev.version}'s latest minor"
        goal = latest
    if prev.compatible_minors and goal > max(prev.compatible_minors):
        return None, f"{format_minor(goal)} is not a minor {prev.version} supports yet"
    return goal, ""


def _distance(start: Minor, end: Minor) -> int:
    return end[1] - start[1] if start[0] == end[0] else 0


def _schedule(
    at: Mapping[str, Minor],
    goals: Mapping[str, Minor],
    waves: Mapping[str, int | None],
    blockers: Mapping[str, Mapping[Minor, tuple[str, ...]]],
    settings: Settings,
    before: int,
    label: str,
) -> list[RoadmapWindow]:
    """The windows of one phase, filled greedily: each window takes up to ``max_parallel``
    clusters, those with the most steps left first (they set the phase's length), then lower
    waves, then by name; a wave only ever waits at a minor a lower wave still has to reach.

    Clusters wait in one queue per (wave, next minor): whether a cluster may move depends on
    nothing else, so a window looks only at the heads of the queues that may move, and the
    minors each wave still needs are counted as clusters climb (10,000 clusters and a
    thousand windows stay well under a second)."""
    now = {c: at[c] for c in goals}
    wave_of: dict[str, int] = {c: _wave(waves.get(c)) for c in goals}
    queues: dict[tuple[int, Minor], list[tuple[int, int, str]]] = {}
    needed: dict[int, Counter[Minor]] = {}
    for context, goal in goals.items():
        _enqueue(queues, context, now[context], goal, wave_of[context])
        needed.setdefault(wave_of[context], Counter()).update(_between(now[context], goal))
    windows: list[RoadmapWindow] = []
    while queues:
        held = _held(needed)
        heads = [(queue[0], key) for key, queue in queues.items() if key[1] not in held(key[0])]
        heapq.heapify(heads)
        actions: list[RoadmapAction] = []
        moved: list[tuple[str, Minor, Minor]] = []
        while heads and len(actions) < settings.max_parallel:
            (_, _, context), key = heapq.heappop(heads)
            queue = queues[key]
            heapq.heappop(queue)
            if queue:
                heapq.heappush(heads, (queue[0], key))
            else:
                del queues[key]
            start = now[context]
            end = _reachable(start, goals[context], held(wave_of[context]), settings)
            assert end is not None  # its next minor is not held: it climbs at least one
            actions.append(_action(context, start, end, waves.get(context), blockers))
            moved.append((context, start, end))
        if not actions:  # cannot happen (the lowest wave always moves); never loop forever
            break
        for context, start, end in moved:
            now[context] = end
            needed[wave_of[context]].subtract(_between(start, end))
            _enqueue(queues, context, end, goals[context], wave_of[context])
        windows.append(
            RoadmapWindow(index=before + len(windows) + 1, actions=tuple(actions), hop=label)
        )
    return windows


def _enqueue(
    queues: dict[tuple[int, Minor], list[tuple[int, int, str]]],
    context: str,
    at: Minor,
    goal: Minor,
    wave: int,
) -> None:
    """Queue a cluster that still has to climb, by its wave and next minor; the queue orders
    by steps left (most first), then wave, then name: one order across every queue."""
    if at < goal:
        key = (wave, (at[0], at[1] + 1))
        heapq.heappush(queues.setdefault(key, []), (-_distance(at, goal), wave, context))


def _between(start: Minor, end: Minor) -> list[Minor]:
    """The minors climbed from ``start`` to ``end`` (``end`` included)."""
    return [(start[0], n) for n in range(start[1] + 1, end[1] + 1)]


def _action(
    context: str,
    start: Minor,
    end: Minor,
    wave: int | None,
    blockers: Mapping[str, Mapping[Minor, tuple[str, ...]]],
) -> RoadmapAction:
    found = blockers.get(context, {})
    blocked = tuple(dict.fromkeys(i for step in _between(start, end) for i in found.get(step, ())))
    return RoadmapAction(
        cluster=context,
        kind=KUBERNETES,
        from_version=format_minor(start),
        to=format_minor(end),
        blocked_by=blocked,
        wave=wave,
    )


def _held(needed: Mapping[int, Counter[Minor]]) -> Callable[[int], frozenset[Minor]]:
    """For a wave: the minors some cluster of a lower wave still has to reach (as of the
    window's start), which a cluster of that wave may not reach yet."""
    ordered = sorted(needed)
    still = {w: frozenset(m for m, n in needed[w].items() if n > 0) for w in ordered}
    below: dict[int, frozenset[Minor]] = {}

    def held(wave: int) -> frozenset[Minor]:
        if wave not in below:
            below[wave] = frozenset(m for w in ordered if w < wave for m in still[w])
        return below[wave]

    return held


def _wave(wave: int | None) -> int:
    return _NO_WAVE if wave is None else wave


def _reachable(
    start: Minor, goal: Minor, held: frozenset[Minor], settings: Settings
) -> Minor | None:
    """How far a cluster may climb in this window: ``steps_per_window`` minors at most,
    never to a minor a cluster of a lower wave still has to reach."""
    end = start
    for _ in range(settings.steps_per_window):
        step = (end[0], end[1] + 1)
        if step > goal or step in held:
            break
        end = step
    return end if end > start else None
