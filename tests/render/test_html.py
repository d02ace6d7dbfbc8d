"""HTML: parsed back with the stdlib parser; hostile values stay text, nothing is fetched."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scanner.model import Status
from scanner.render import RenderOptions
from scanner.render.chart import version_chart
from scanner.render.html import csp_hash, render
from scanner.render.jinja import environment, static_asset
from scanner.versions import parse_git_version
from tests.render.dataset import (
    HOSTILE_CONTEXT,
    MULTILINE_ERROR,
    WINDOW,
    canonical_report,
    large_report,
)


class Page(HTMLParser):
    """Elements (tag, attributes) and the text a browser would show."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.chunks).append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


@pytest.fixture(scope="module")
def html() -> str:
    return render(canonical_report(), RenderOptions())


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


def test_hostile_name_is_text_not_markup(page: Page) -> None:
    assert page.tags("img") == []
    assert not any(name.startswith("on") for _, attrs in page.elements for name in attrs)
    assert HOSTILE_CONTEXT in page.text


def test_verdict_and_every_cluster_are_shown(page: Page) -> None:
    assert "NOT READY" in page.text
    assert "NOT_READY" in page.text
    for cluster in canonical_report().clusters:
        assert cluster.context in page.text


def test_multiline_error_is_kept(page: Page) -> None:
    assert MULTILINE_ERROR in page.text


def test_no_external_resources(page: Page, html: str) -> None:
    for _, attrs in page.elements:
        for name in ("src", "href", "action", "data", "poster", "srcset"):
            assert not (attrs.get(name) or "").strip(), f"{name}={attrs.get(name)!r}"
    assert page.tags("link") == [] and page.tags("iframe") == []
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {"#hatch", "#tl-hatch"}
    assert "@import" not in html


def test_content_security_policy_allows_only_the_inline_script(page: Page) -> None:
    csp = next(a["content"] for a in page.tags("meta") if a.get("http-equiv"))
    assert csp is not None and "default-src 'none'" in csp
    assert f"'{csp_hash(page.scripts[0])}'" in csp


def test_page_is_complete_without_script(page: Page) -> None:
    filters = next(a for a in page.tags("div") if a.get("id") == "filters")
    assert "hidden" in filters  # the script reveals it; without it every row shows
    rows = [a for a in page.tags("tbody") if a.get("class") == "cluster-row"]
    assert len(rows) == len(canonical_report().clusters)
    assert all(row.get("data-status") for row in rows)


def test_run_metadata(page: Page) -> None:
    report = canonical_report()
    for fact in (
        report.policy.sha256,
        report.policy.id,
        "ops-bastion-01",
        "alice",
        report.metadata["command_line"],
        report.generated_at,
        "12.4 s",
        "0.1.0",
    ):
        assert fact in page.text


def test_missing_metadata_reads_unknown() -> None:
    report = replace(canonical_report(), metadata={})
    text = Page(render(report, RenderOptions())).text
    assert re.search(r"Host\s*unknown", text) and re.search(r"Command line\s*unknown", text)
    assert "compatible window not recorded" in text


def test_print_stylesheet(html: str) -> None:
    # The printer's paper (A4 or Letter): tests/render/test_print.py prints both.
    assert (
        "@media print" in html and "size: auto" in html and ".col-server { display: none; }" in html
    )


def test_user_stylesheet_overrides_builtin(tmp_path: Path) -> None:
    (tmp_path / "report.css").write_text("body { color: rebeccapurple; }")
    html = render(canonical_report(), RenderOptions(template_dir=str(tmp_path)))
    assert "rebeccapurple" in html and "@media print" not in html
    assert "NOT READY" in html  # the built-in template still renders it


def test_static_assets_are_not_templates() -> None:
    env = environment(RenderOptions())
    assert "{" in static_asset(env, "report.css")  # raw CSS braces, never rendered by Jinja


def test_chart_bars_cover_the_window_and_mark_blocked() -> None:
    chart = version_chart(canonical_report().clusters, WINDOW, "4.3")
    assert [bar.minor for bar in chart.bars] == ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34"]
    assert [bar.in_window for bar in chart.bars] == [False, False, True, True, True, True]
    assert {bar.minor: bar.blocked for bar in chart.bars if bar.blocked} == {"1.29": 1, "1.30": 2}
    assert chart.unversioned == 2
    assert chart.band is not None and chart.band.label == "4.3 window 1.31-1.34"
    tallest = max(chart.bars, key=lambda bar: bar.count)
    assert tallest.top == pytest.approx(chart.plot_top)
    for bar in chart.bars:
        assert sum(s.height for s in bar.segments) == pytest.approx(chart.plot_bottom - bar.top)


def test_chart_without_window_or_versions() -> None:
    clusters = canonical_report().clusters
    assert version_chart(clusters, [], "4.3").band is None
    unknown = [replace(c, version=None, status=Status.UNKNOWN) for c in clusters]
    chart = version_chart(unknown, [], "4.3")
    assert chart.empty and chart.unversioned == len(clusters)
    html = render(replace(canonical_report(), clusters=tuple(unknown)), RenderOptions())
    assert "No cluster reported a Kubernetes version." in Page(html).text


def test_chart_of_a_far_outlier_shows_only_minors_in_use() -> None:
    clusters = canonical_report().clusters
    old = replace(clusters[1], version=parse_git_version("v1.2.0"))
    chart = version_chart((old, *clusters[2:]), WINDOW, "4.3")
    assert chart.bars[0].minor == "1.2" and chart.bars[1].minor == "1.29"


def test_a_large_fleet_keeps_the_action_list_short() -> None:
    report = large_report(1000)
    page = Page(render(report, RenderOptions()))
    cards = [a for a in page.tags("article") if "card" in (a.get("class") or "")]
    assert len(cards) == 12
    act_on = sum(1 for c in report.clusters if c.status.value in ("BLOCKED", "UNKNOWN"))
    assert act_on > 12
    assert f"and {act_on - 12} more clusters to act on" in page.text
    rows = [a for a in page.tags("tbody") if a.get("class") == "cluster-row"]
    assert len(rows) == 1000


def test_control_characters_are_dropped() -> None:
    report = canonical_report()
    cluster = replace(report.clusters[0], context="glo\x1b[1mbal\x00")
    html = render(replace(report, clusters=(cluster,)), RenderOptions())
    assert "glo[1mbal" in Page(html).text
    assert "\x1b" not in html and "\x00" not in html
