"""Markdown: golden file, intact tables with hostile values, enforced escaping."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jinja2
import pytest

from scanner.render import RenderOptions
from scanner.render.jinja import md
from scanner.render.markdown import render
from tests.render.dataset import canonical_report

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden" / "report.md"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.fixture(scope="module")
def text() -> str:
    return render(canonical_report(), RenderOptions())


def test_matches_golden_file(text: str) -> None:
    """Regenerate with UPDATE_GOLDEN=1 pytest tests/render/test_markdown.py, then review."""
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_every_table_row_has_the_header_column_count(text: str) -> None:
    tables = re.findall(r"(?:^\|.*\n)+", text, flags=re.MULTILINE)
    # platform preflight, changes since the previous run, clusters, nodes, findings, metadata
    assert len(tables) == 6
    for table in tables:
        widths = {len(UNESCAPED_PIPE.findall(row)) for row in table.splitlines()}
        assert len(widths) == 1, table


def test_hostile_values_are_inert(text: str) -> None:
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)>\\|pipe" in text
    # The template's own code spans come in pairs on a line; a value's backtick is escaped,
    # so a bare one from data would leave a line with an odd count.
    for line in text.splitlines():
        assert len(re.findall(r"(?<!\\)`", line)) % 2 == 0, line


def test_multiline_error_stays_on_its_line(text: str) -> None:
    line = next(ln for ln in text.splitlines() if "context deadline exceeded" in ln)
    assert "<br>(Client.Timeout exceeded while awaiting headers)<br>via proxy" in line


def test_verdict_and_blockers_come_first(text: str) -> None:
    order = [
        text.index("**Verdict: NOT READY**"),
        text.index("## Blocked: fix these first"),
        text.index("## Clusters"),
        text.index("## Findings"),
        text.index("## Run metadata"),
    ]
    assert order == sorted(order)
    assert "- **Upgrade path:** 1.29 -> 1.30 -> 1.31" in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("<script>", "&lt;script>"),
        ("a & b", "a &amp; b"),
        ("back\\slash", "back\\\\slash"),
        ("[link](x) *em*", "\\[link\\](x) \\*em\\*"),
        ("one\r\ntwo\nthree", "one<br>two<br>three"),
        ("\x1b[31mred\x1b[0m", "\\[31mred\\[0m"),  # the ESC goes, the rest is text
        ("", ""),
    ],
)
def test_md_filter(raw: str, escaped: str) -> None:
    assert md(raw) == escaped


def test_user_template_dir_is_searched_first(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("Company: {{ verdict|md }} {{ summary.total }}\n")
    out = render(canonical_report(), RenderOptions(template_dir=str(tmp_path)))
    assert out == "Company: NOT_READY 9\n"


def test_a_value_without_md_filter_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("{{ report.clusters[0].context }}\n")
    with pytest.raises(jinja2.TemplateError, match=r"\|md"):
        render(canonical_report(), RenderOptions(template_dir=str(tmp_path)))


def test_undefined_names_fail_loudly(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("{{ no_such_thing|md }}\n")
    with pytest.raises(jinja2.UndefinedError):
        render(canonical_report(), RenderOptions(template_dir=str(tmp_path)))
