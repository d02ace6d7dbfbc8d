"""The registry: every format is covered by tests, every file format has an extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.render import FILE_EXTENSIONS, RENDERERS, RenderOptions, render
from scanner.report import Report
from tests.render.dataset import canonical_report, large_report

TESTS = Path(__file__).resolve().parent
# Where each format's own tests live. A new format fails here until it has tests.
TESTED_BY = {
    "json": TESTS / "test_registry.py",
    "table": TESTS / "test_table.py",
    "markdown": TESTS / "test_markdown.py",
    "html": TESTS / "test_html.py",
    "junit": TESTS / "test_junit.py",
}
# Formats meant for a terminal only: --output-dir writes no file for them.
TERMINAL_ONLY = {"table"}


def test_every_format_is_covered_by_tests() -> None:
    missing = sorted(set(RENDERERS) - set(TESTED_BY))
    assert missing == [], f"add tests for {missing} and list them in TESTED_BY"
    for name in RENDERERS:
        assert TESTED_BY[name].is_file(), f"{name}: {TESTED_BY[name]} does not exist"


def test_every_file_format_has_an_extension() -> None:
    assert set(RENDERERS) - TERMINAL_ONLY == set(FILE_EXTENSIONS)
    assert len(set(FILE_EXTENSIONS.values())) == len(FILE_EXTENSIONS)


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_every_format_renders_the_canonical_report(name: str) -> None:
    text = render(name, canonical_report(), RenderOptions())
    assert text.strip()


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_every_format_renders_a_thousand_clusters(name: str) -> None:
    report = large_report(1000)
    text = render(name, report, RenderOptions())
    assert report.clusters[-1].context == "global-0999"
    assert "global-0999" in text  # the last cluster made it in


def test_json_round_trips() -> None:
    report = canonical_report()
    assert Report.from_json(render("json", report, RenderOptions())) == report
