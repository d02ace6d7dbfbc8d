"""Geometry of the version distribution chart: clusters per Kubernetes minor.

All arithmetic happens here, in SVG user units, so the HTML template only lays out rectangles
and labels it is given. Each bar stacks its clusters by status (PASS at the bottom, BLOCKED on
top), and the target's compatible window is a shaded band behind the bars.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.model import Status
from scanner.report import ClusterResult
from scanner.versions import VersionError, parse_minor

WIDTH = 760
HEIGHT = 290
LEFT, RIGHT, BOTTOM = 44, 12, 36  # room for the count axis and the minor labels
BAND_TOP = 30  # the window band starts here; its label sits above it
TOP = 66  # the tallest bar ends here, leaving room for its count and blocked labels
WIDE_SLOT = 72  # a slot this wide has room for "x 2 blocked", a narrower one for "x 2"
# Beyond this many minors a continuous axis would be unreadable; show only minors in use.
MAX_CONTINUOUS_MINORS = 24
_STACK = (Status.PASS, Status.WARN, Status.UNKNOWN, Status.BLOCKED)


@dataclass(frozen=True)
class Segment:
    status: str  # "pass", "warn", "unknown", "blocked": the CSS class
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    minor: str
    count: int
    blocked: int
    blocked_label: str  # "" when none is blocked
    in_window: bool
    x: float
    width: float
    center: float
    top: float  # y of the top of the stack, where the count label goes
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Band:
    """The shaded window: ``x``/``width`` span the window's bars."""

    x: float
    width: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    band: Band | None
    unversioned: int  # clusters without a known version: not on the chart
    description: str  # what the chart shows, in words, for screen readers and print
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT
    plot_top: float = TOP
    plot_bottom: float = HEIGHT - BOTTOM
    band_top: float = BAND_TOP

    @property
    def empty(self) -> bool:
        return not self.bars


def version_chart(clusters: Sequence[ClusterResult], window: Sequence[str], target: str) -> Chart:
    """Bars per minor from the oldest to the newest minor seen or in the window; no bars when
    no cluster has a version."""
    by_minor: dict[tuple[int, int], Counter[Status]] = {}
    for cluster in clusters:
        if cluster.version is not None:
            by_minor.setdefault(cluster.version.minor_key, Counter())[cluster.status] += 1
    unversioned = sum(1 for c in clusters if c.version is None)
    if not by_minor:  # a window alone is no distribution: say so instead of empty bars
        return Chart((), (), None, unversioned, "No cluster reported a Kubernetes version.")
    window_keys = _window_keys(window)
    minors = _axis(set(by_minor) | window_keys)
    peak = max(sum(counts.values()) for counts in by_minor.values())
    step = _tick_step(peak)
    scale_max = step * -(-peak // step)  # round the axis up to a whole tick
    bottom = HEIGHT - BOTTOM
    unit = (bottom - TOP) / scale_max
    slot = (WIDTH - LEFT - RIGHT) / len(minors)
    bars = tuple(
        _bar(minor, by_minor.get(minor, Counter()), minor in window_keys, i, slot, unit)
        for i, minor in enumerate(minors)
    )
    ticks = tuple(Tick(v, bottom - v * unit) for v in range(0, scale_max + 1, step))
    return Chart(
        bars, ticks, _band(bars, slot, target), unversioned, _describe(bars, window, target)
    )


def _window_keys(window: Sequence[str]) -> set[tuple[int, int]]:
    keys = set()
    for minor in window:
        try:
            keys.add(parse_minor(minor))
        except VersionError:
            continue  # a malformed window entry only loses its shading
    return keys


def _axis(keys: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Every minor between the extremes, so gaps show; only those in use if too wide."""
    if not keys:
        return []
    majors = {major for major, _ in keys}
    low, high = min(keys), max(keys)
    if len(majors) == 1 and high[1] - low[1] < MAX_CONTINUOUS_MINORS:
        return [(low[0], minor) for minor in range(low[1], high[1] + 1)]
    return sorted(keys)


def _tick_step(peak: int) -> int:
    """A 1-2-5 step giving at most five gridlines."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= 5 * factor * magnitude:
                return factor * magnitude
        magnitude *= 10


def _bar(
    minor: tuple[int, int],
    counts: Counter[Status],
    in_window: bool,
    index: int,
    slot: float,
    unit: float,
) -> Bar:
    slot_x = LEFT + index * slot
    width = min(slot * 0.62, 56)
    segments = []
    y: float = HEIGHT - BOTTOM
    for status in _STACK:
        if counts[status]:
            height = counts[status] * unit
            y -= height
            segments.append(Segment(status.value.lower(), counts[status], y, height))
    return Bar(
        minor=f"{minor[0]}.{minor[1]}",
        count=sum(counts.values()),
        blocked=counts[Status.BLOCKED],
        blocked_label=_blocked_label(counts[Status.BLOCKED], slot),
        in_window=in_window,
        x=slot_x + (slot - width) / 2,
        width=width,
        center=slot_x + slot / 2,
        top=y,
        segments=tuple(segments),
    )


def _blocked_label(blocked: int, slot: float) -> str:
    if not blocked:
        return ""
    return f"\u2715 {blocked} blocked" if slot >= WIDE_SLOT else f"\u2715 {blocked}"


def _band(bars: Sequence[Bar], slot: float, target: str) -> Band | None:
    inside = [bar for bar in bars if bar.in_window]
    if not inside:
        return None
    first, last = inside[0], inside[-1]
    label = f"{target} window {first.minor}-{last.minor}"
    return Band(first.center - slot / 2, last.center - first.center + slot, label)


def _describe(bars: Sequence[Bar], window: Sequence[str], target: str) -> str:
    used = [
        f"{bar.minor}: {bar.count}" + (f" ({bar.blocked} blocked)" if bar.blocked else "")
        for bar in bars
        if bar.count
    ]
    where = f"; compatible with {target}: {', '.join(window)}" if window else ""
    return f"Clusters per Kubernetes minor: {'; '.join(used) or 'none'}{where}."
