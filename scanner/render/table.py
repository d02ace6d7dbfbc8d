"""The terminal summary: one row per cluster, then the verdict line."""

from __future__ import annotations

import re

from tabulate import tabulate

from scanner.model import Access, Status, Verdict
from scanner.render.base import (
    CHANGE_LABELS,
    RenderOptions,
    clip,
    clip_list,
    style,
    terminal_text,
)
from scanner.render.platform_text import platform_lines
from scanner.render.roadmap_text import roadmap_lines
from scanner.report import Changes, ClusterResult, Report
from scanner.versions import VersionError, parse_git_version

_STATUS_COLOURS = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.BLOCKED: "red",
    Status.UNKNOWN: "magenta",
}
_VERDICT_COLOURS = {Verdict.READY: "green", Verdict.NOT_READY: "red", Verdict.INCOMPLETE: "magenta"}
_FINDING_WIDTH = 70
_CELL_WIDTH = 48  # a 100 KB gitVersion must not make every row 100 KB wide


HEADERS = ("CONTEXT", "ROLE", "KIND", "PROVIDER", "VERSION", "NODES", "STATUS", "FINDING")
# Narrow terminals: columns given up first to last, as `kubectl get` shows less than `-o wide`
# (every column is in the files). CONTEXT, VERSION, STATUS and FINDING always stay.
_DROPPED_FIRST = ("PROVIDER", "KIND", "NODES", "ROLE")
_MIN_FINDING = 24  # characters of finding text worth a column


def render(report: Report, options: RenderOptions) -> str:
    rows = [_row(cluster, options) for cluster in report.clusters]
    lines = [_table(rows, options.width), ""]
    lines.extend(f"note: {clip_list(terminal_text(note))}" for note in report.notes)
    if report.platform is not None:
        platform = platform_lines(report.platform)
        lines.extend(f"platform: {clip_list(terminal_text(line))}" for line in platform)
    lines.extend(f"plan: {terminal_text(line)}" for line in plan_lines(report))
    if report.roadmap is not None:
        lines.extend(f"roadmap: {terminal_text(line)}" for line in roadmap_lines(report.roadmap))
    lines.extend(f"manual: {terminal_text(line)}" for line in manual_lines(report))
    lines.append(render_verdict_line(report, options))
    return "\n".join(lines) + "\n"


def _table(rows: list[list[str]], width: int | None) -> str:
    """Every column when there is no width or they fit; else the columns dropped first go,
    one by one (then the context is cut to a third of the width), and the finding text is
    cut to what is left."""
    if width is None:
        return _plain(rows, list(HEADERS))
    keep = list(range(len(HEADERS)))
    shown = rows
    for name in (None, *_DROPPED_FIRST, "CONTEXT"):
        if name == "CONTEXT":  # every optional column gone: the context gives way too
            context = max(12, width // 3)
            shown = [[clip(row[0], context), *row[1:]] for row in shown]
        elif name is not None:
            keep.remove(HEADERS.index(name))
            shown = [[row[i] for i in keep] for row in rows]
        left = width - _fixed_width(shown, [HEADERS[i] for i in keep])
        if left >= _MIN_FINDING:
            break
    finding = max(left, 10)
    return _plain(
        [[*row[:-1], clip(row[-1], finding)] for row in shown], [HEADERS[i] for i in keep]
    )


def _plain(rows: list[list[str]], headers: list[str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)


def _fixed_width(rows: list[list[str]], headers: list[str]) -> int:
    """Characters of a line without its finding text: the table laid out with a one-letter
    finding, less that letter."""
    probe = _plain([[*row[:-1], "x"] for row in rows], [*headers[:-1], "x"])
    return max(_visible_len(line) for line in probe.splitlines()) - 1


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


def plan_lines(report: Report) -> list[str]:
    """One line per cluster with an upgrade plan, then the fleet's plan figures."""
    lines = []
    for cluster in report.clusters:
        plan = cluster.plan
        if plan is None:
            continue
        version = _current_minor(cluster)
        path = " -> ".join([version, *(step.to for step in plan.steps)])
        count = plan.blockers
        first = next((f for f in plan.findings if f.severity.value == "blocker"), None)
        text = f"{cluster.context} {path}: {count} blocker{'' if count == 1 else 's'} on the way"
        if first is not None:
            step = next(s.to for s in plan.steps if first in s.findings)
            text += f" (first at {step}: {clip(first.message, _FINDING_WIDTH)})"
        if plan.notes:
            text += f"; {len(plan.notes)} note{'' if len(plan.notes) == 1 else 's'} in the report"
        lines.append(text)
    summary = report.summary
    if summary.must_move:
        lines.append(
            f"{summary.must_move} cluster{'' if summary.must_move == 1 else 's'} must move, "
            f"{summary.plan_steps} steps in total; {summary.removed_apis_in_use} removed "
            f"API{'' if summary.removed_apis_in_use == 1 else 's'} still in use; "
            f"{summary.plan_blockers} blocker{'' if summary.plan_blockers == 1 else 's'} "
            "on the way"
        )
    return lines


def manual_lines(report: Report) -> list[str]:
    """The manual checklist, counted, with the ids: the reports hold the text."""
    checks = report.manual_checks
    if not checks:
        return []
    ids = ", ".join(check.id for check in checks)
    count = len(checks)
    return [
        f"{count} check{'' if count == 1 else 's'} to do by hand (in the reports; they do "
        f"not change the verdict): {clip(ids, 160)}"
    ]


def _current_minor(cluster: ClusterResult) -> str:
    """The minor a plan starts from: the live version's, else the recorded one's."""
    if cluster.version is not None:
        return cluster.version.minor_text
    try:
        return parse_git_version(cluster.recorded_version or "").minor_text + " (recorded)"
    except VersionError:
        return "?"


def render_verdict_line(report: Report, options: RenderOptions) -> str:
    summary = report.summary
    verdict = report.verdict.value
    if options.color:
        verdict = style(verdict, fg=_VERDICT_COLOURS[report.verdict], bold=True)
    source = f" from {report.from_version}" if report.from_version else ""
    return (
        f"{verdict}: upgrade to {report.target}{source}; {summary.total} clusters: "
        f"{summary.pass_} pass, {summary.warn} warn, {summary.blocked} blocked, "
        f"{summary.unknown} unknown"
    )


def _row(cluster: ClusterResult, options: RenderOptions) -> list[str]:
    status = cluster.status.value
    if options.color:
        status = style(status, fg=_STATUS_COLOURS[cluster.status])
    return [
        _cell(cluster.context),
        cluster.role.value,
        _cell(cluster.kind),
        _cell(cluster.provider or "-"),
        _version(cluster),
        _nodes(cluster),
        status,
        terminal_text(_finding_text(cluster)),
    ]


def _version(cluster: ClusterResult) -> str:
    if cluster.version is None:
        recorded_only = cluster.recorded_version
        return _cell(recorded_only) + " (recorded)" if recorded_only else "-"
    recorded = " (recorded)" if cluster.access is Access.PLATFORM_RECORD else ""
    return _cell(cluster.version.git_version or str(cluster.version)) + recorded


def _nodes(cluster: ClusterResult) -> str:
    if cluster.nodes is None:
        return "-"
    kubelets = len(cluster.nodes.kubelet_versions)
    details = [f"{kubelets} kubelet versions"] if kubelets > 1 else []
    if cluster.nodes.not_ready:
        details.append(f"{cluster.nodes.not_ready} not Ready")
    return f"{cluster.nodes.count}" + (f" ({', '.join(details)})" if details else "")


def _finding_text(cluster: ClusterResult) -> str:
    error = cluster.error
    if error is not None and cluster.status is Status.BLOCKED:
        # A known blocker outranks the unknown; the error stays visible beside it.
        top = cluster.top_finding
        also = f"; also could not be scanned: {error.category.value}: {error.message}"
        return clip(top.message if top else "blocked", _FINDING_WIDTH - 30) + clip(also, 60)
    if error is not None:
        text = f"{error.category.value}: {error.message}"
    else:
        top = cluster.top_finding
        text = top.message if top else ""
    if len(text) > _FINDING_WIDTH:
        text = text[: _FINDING_WIDTH - 1] + "…"
    return text


def _cell(text: str) -> str:
    """A table cell: clean, and at most ``_CELL_WIDTH`` characters (an ellipsis marks a cut)."""
    return clip(terminal_text(text), _CELL_WIDTH)


def render_changes(changes: Changes) -> str:
    """``upgrade-scanner diff``: one line per change, then whether anything regressed."""
    rows = [
        [
            label,
            _cell(change.context),
            _cell(change.before or "-"),
            _cell(change.after or "-"),
            _cell(change.detail),
        ]
        for label, section in CHANGE_LABELS
        for change in getattr(changes, section)
    ]
    head = f"changes since {changes.since} (previous verdict {changes.previous_verdict})"
    if not rows:
        return f"{head}: none\n"
    table = tabulate(
        rows,
        headers=["CHANGE", "CONTEXT", "FROM", "TO", "DETAIL"],
        tablefmt="plain",
        disable_numparse=True,
    )
    return f"{head}\n{table}\n"
