"""The roadmap in words, shared by the terminal summary, the ``roadmap`` command and the
report templates."""

from __future__ import annotations

import json
from typing import Any

from scanner.model import PLATFORM, Roadmap, RoadmapAction
from scanner.render.base import clip, clip_list
from scanner.render.roadmap_chart import burndown, timeline
from scanner.report import Report

SHOWN_IDS = 3  # finding ids named per blocked action on a terminal; the reports have all


def action_text(action: RoadmapAction, ids: int | None = None) -> str:
    """``ipi-prod: Kubernetes 1.30 -> 1.31 (blocked by removed-api/...)``."""
    what = "platform" if action.kind == PLATFORM else "Kubernetes"
    text = f"{action.cluster}: {what} {action.from_version} -> {action.to}"
    if action.wave is not None:
        text += f" (wave {action.wave})"
    if action.blocked_by:
        named = action.blocked_by if ids is None else action.blocked_by[:ids]
        more = len(action.blocked_by) - len(named)
        text += f" (blocked by {', '.join(named)}" + (f" and {more} more)" if more else ")")
    return text


def summary_text(roadmap: Roadmap) -> str:
    """``4.2.3 -> 4.3 in 9 windows (a direct upgrade); critical path: legacy-edge``."""
    count = roadmap.total_windows
    text = f"{' -> '.join(roadmap.route)} in {count} window{'' if count == 1 else 's'}"
    if roadmap.route_reason:
        text += f" ({roadmap.route_reason})"
    if roadmap.critical_path:
        text += f"; critical path: {', '.join(roadmap.critical_path)}"
    return text


def roadmap_lines(roadmap: Roadmap) -> list[str]:
    """The terminal summary's ``roadmap:`` lines."""
    lines = [summary_text(roadmap)]
    blocked = roadmap.blocked_actions
    if blocked:
        lines.append(f"{blocked} action{'' if blocked == 1 else 's'} blocked until fixed")
    if roadmap.not_planned:
        lines.append("not placed: " + ", ".join(roadmap.not_planned))
    if roadmap.stalled:
        lines.append("stalled (no progress over the last runs): " + ", ".join(roadmap.stalled))
    return [clip_list(line) for line in lines]


def render_roadmap(roadmap: Roadmap) -> str:
    """The ``roadmap`` command's output: every window and its actions, then what could not
    be placed and what stalled."""
    lines = [f"roadmap {summary_text(roadmap)}"]
    lines.append(
        f"{roadmap.steps_per_window} minor{'' if roadmap.steps_per_window == 1 else 's'} per "
        f"cluster per window, at most {roadmap.max_parallel} clusters at once"
    )
    for window in roadmap.windows:
        lines.append("")
        platform = any(a.kind == PLATFORM for a in window.actions)
        where = window.hop if platform else f"before {window.hop}"
        lines.append(f"window {window.index} ({where}):")
        for action in window.actions:
            lines.append(f"  {clip(action_text(action, SHOWN_IDS), 160)}")
            for need in action.requires:
                lines.append(f"    requires: {clip(need, 150)}")
    tail = roadmap_lines(roadmap)[1:]
    if tail:
        lines.append("")
        lines.extend(tail)
    return "\n".join(lines) + "\n"


GATE_ACK = "acknowledge admin gate "


def roadmap_context(report: Report) -> dict[str, Any]:
    """``roadmap`` (or None), ``roadmap_summary``, ``roadmap_windows`` (each: ``window``,
    ``platform``, ``actions`` as (action, text, requires) where requires pairs each need with
    its exact command, if it has one), and the ``timeline`` and ``burndown`` geometry."""
    roadmap = report.roadmap
    if roadmap is None:
        return {"roadmap": None, "roadmap_windows": [], "timeline": None, "burndown": None}
    windows = []
    for window in roadmap.windows:
        actions = [
            (action, action_text(action), [(need, _command(need)) for need in action.requires])
            for action in window.actions
        ]
        platform = any(a.kind == PLATFORM for a in window.actions)
        windows.append({"window": window, "platform": platform, "actions": actions})
    return {
        "roadmap": roadmap,
        "roadmap_summary": summary_text(roadmap),
        "roadmap_windows": windows,
        "timeline": timeline(roadmap),
        "burndown": burndown(roadmap.history),
    }


def _command(need: str) -> str:
    """The exact command of a need, where there is one (a gate's acknowledgement)."""
    if not need.startswith(GATE_ACK):
        return ""
    key = need[len(GATE_ACK) :]
    patch = json.dumps({"data": {key: "true"}}, separators=(",", ":"))
    return f"kubectl -n cpaas-system patch configmap admin-acks --type=merge -p '{patch}'"
