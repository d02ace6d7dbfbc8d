"""The terminal table and verdict line, from the canonical dataset."""

from __future__ import annotations

import os
from pathlib import Path

from scanner.render import RenderOptions, render
from scanner.render.table import render_verdict_line
from tests.render.dataset import HOSTILE_CONTEXT, canonical_report


def test_one_row_per_cluster_then_the_verdict_line() -> None:
    report = canonical_report()
    text = render("table", report, RenderOptions())
    lines = text.rstrip("\n").splitlines()
    assert lines[0].split() == [
        "CONTEXT", "ROLE", "KIND", "PROVIDER", "VERSION", "NODES", "STATUS", "FINDING",
    ]  # fmt: skip
    summary = report.summary
    assert lines[-1] == (
        f"{report.verdict.value}: upgrade to {report.target} from {report.from_version}; "
        f"{summary.total} clusters: {summary.pass_} pass, {summary.warn} warn, "
        f"{summary.blocked} blocked, {summary.unknown} unknown"
    )
    rows = lines[1 : lines.index("")]
    assert len(rows) == len(report.clusters)
    for row, cluster in zip(rows, report.clusters, strict=True):
        assert cluster.status.value in row.split(), (row, cluster.context)


GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden" / "report.txt"


def test_matches_golden_file() -> None:
    """Regenerate with UPDATE_GOLDEN=1 pytest tests/render/test_table.py, then review."""
    text = render("table", canonical_report(), RenderOptions())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_blocked_row_shows_its_most_important_finding() -> None:
    report = canonical_report()
    blocked = next(c for c in report.clusters if c.status.value == "BLOCKED")
    text = render("table", report, RenderOptions())
    top = blocked.top_finding
    assert top is not None and top.severity.value == "blocker"
    assert top.message[:40] in text


def test_no_control_characters_reach_the_terminal() -> None:
    text = render("table", canonical_report(), RenderOptions())
    assert all(ch.isprintable() or ch == "\n" for ch in text)
    assert HOSTILE_CONTEXT in text  # shown as text; a terminal does not interpret HTML


def test_colour_only_when_asked() -> None:
    report = canonical_report()
    assert "\x1b[" not in render("table", report, RenderOptions(color=False))
    coloured = render_verdict_line(report, RenderOptions(color=True))
    assert coloured.startswith("\x1b[") and report.verdict.value in coloured
