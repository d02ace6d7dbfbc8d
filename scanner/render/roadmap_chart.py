"""Geometry of the roadmap's two charts, in SVG user units, so the HTML template only lays
out what it is given: the **timeline** (one box per maintenance window, its height the
number of actions, blocked ones hatched, platform hops marked) and the **burn-down** (clusters
that must move, plan blockers and windows left, over the runs an output directory kept).
Both read in black and white: hatching and line styles, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import PLATFORM, ProgressPoint, Roadmap

WIDTH = 760
TIMELINE_HEIGHT = 170
BURNDOWN_HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 24, 40
MAX_WINDOWS_SHOWN = 60  # more windows are summed into the last box ("+N")


@dataclass(frozen=True)
class WindowBox:
    index: int
    label: str  # "1", or "60+" for the boxes summed at the end
    x: float
    width: float
    y: float
    height: float
    blocked_y: float  # the hatched part (blocked actions) starts here
    blocked_height: float
    actions: int
    blocked: int
    platform: bool  # a platform hop
    title: str  # the tooltip: what the window holds


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    boxes: tuple[WindowBox, ...]
    baseline: float
    description: str


def timeline(roadmap: Roadmap) -> Timeline:
    windows = list(roadmap.windows)
    boxes: list[WindowBox] = []
    shown = windows[:MAX_WINDOWS_SHOWN]
    rest = windows[MAX_WINDOWS_SHOWN:]
    slots = len(shown) + (1 if rest else 0)
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(1, slots)
    tallest = max((len(w.actions) for w in windows), default=1) or 1
    baseline = TIMELINE_HEIGHT - BOTTOM
    usable = baseline - TOP
    groups = [[w] for w in shown] + ([rest] if rest else [])
    for number, group in enumerate(groups):
        actions = sum(len(w.actions) for w in group)
        blocked = sum(1 for w in group for a in w.actions if a.blocked)
        platform = any(a.kind == PLATFORM for w in group for a in w.actions)
        height = max(4.0, usable * min(actions, tallest) / tallest)
        blocked_height = height * blocked / actions if actions else 0.0
        first = group[0].index
        label = str(first) if len(group) == 1 else f"{first}+"
        what = "platform hop " + group[0].hop if platform else f"{actions} actions"
        boxes.append(
            WindowBox(
                index=first,
                label=label,
                x=LEFT + number * slot + slot * 0.12,
                width=slot * 0.76,
                y=baseline - height,
                height=height,
                blocked_y=baseline - blocked_height,
                blocked_height=blocked_height,
                actions=actions,
                blocked=blocked,
                platform=platform,
                title=f"window {label}: {what}" + (f", {blocked} blocked" if blocked else ""),
            )
        )
    description = (
        f"{roadmap.total_windows} maintenance windows from {' -> '.join(roadmap.route)}; "
        f"{roadmap.blocked_actions} blocked actions"
    )
    return Timeline(WIDTH, TIMELINE_HEIGHT, tuple(boxes), baseline, description)


@dataclass(frozen=True)
class Series:
    name: str  # the CSS class and the legend: must-move, blockers, windows
    label: str
    points: str  # "x,y x,y ..." for a polyline
    last: int


@dataclass(frozen=True)
class Burndown:
    width: int
    height: int
    series: tuple[Series, ...]
    runs: int
    top_value: int
    baseline: float
    first: str  # the first run's time
    last: str
    description: str


def burndown(history: tuple[ProgressPoint, ...]) -> Burndown | None:
    """None with fewer than two runs: one point is not a trend."""
    if len(history) < 2:
        return None
    baseline = BURNDOWN_HEIGHT - BOTTOM
    usable = baseline - TOP
    top = max(1, *(max(p.must_move, p.plan_blockers, p.windows) for p in history))
    step = (WIDTH - LEFT - RIGHT) / (len(history) - 1)

    def line(value_of: str) -> str:
        return " ".join(
            f"{LEFT + i * step:.1f},{baseline - usable * getattr(p, value_of) / top:.1f}"
            for i, p in enumerate(history)
        )

    series = (
        Series("must-move", "clusters that must move", line("must_move"), history[-1].must_move),
        Series("blockers", "plan blockers", line("plan_blockers"), history[-1].plan_blockers),
        Series("windows", "windows left", line("windows"), history[-1].windows),
    )
    description = (
        f"{len(history)} runs from {history[0].generated_at} to {history[-1].generated_at}: "
        + "; ".join(f"{s.label} {s.last}" for s in series)
    )
    return Burndown(
        WIDTH,
        BURNDOWN_HEIGHT,
        series,
        len(history),
        top,
        baseline,
        history[0].generated_at,
        history[-1].generated_at,
        description,
    )
