"""The printed report (issue 14): the demo report printed by headless Chromium, to PDF, on
Letter (the browser's default) and A4, read back with ``pdftotext -layout``: every server
URL and version whole on one line, no two columns run together, the verdict on page 1."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scanner.outputs.pdf import find_browser, html_to_pdf
from tests.conftest import RunningFleet

pytestmark = pytest.mark.browser


def need(tool: str | None, what: str) -> str:
    if tool:
        return tool
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI: make browser")
    pytest.skip(f"{what} not installed: make browser (apt-get install chromium poppler-utils)")


def pdf_text(pdf: Path, *pages: str) -> str:
    tool = need(shutil.which("pdftotext"), "pdftotext (poppler-utils)")
    done = subprocess.run(
        [tool, "-layout", *pages, str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture(scope="module")
def demo_report(demo_fleet: RunningFleet, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from scanner.cli import run

    out = tmp_path_factory.mktemp("print")
    code = run([
        "scan", "--target", "4.3", "--kubeconfig", str(demo_fleet.kubeconfig),
        "--inventory", "fixtures/demo/inventory.yaml", "--timeout", "3", "--no-progress", "-q",
        "--json", str(out / "r.json"), "--html", str(out / "r.html"),
    ])  # fmt: skip
    assert code == 1
    return json.loads((out / "r.json").read_text()), (out / "r.html").read_text(), out


@pytest.fixture(autouse=True)
def _real_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPGRADE_SCANNER_CHROMIUM", raising=False)


@pytest.mark.parametrize("paper", ["Letter", "A4"])
def test_the_printed_table_is_clean(demo_report: Any, paper: str) -> None:
    report, html, out = demo_report
    browser = need(find_browser(), "headless Chromium")
    page = html.replace("</head>", f"<style>@page {{ size: {paper}; }}</style></head>", 1)
    pdf = out / f"report-{paper}.pdf"
    pdf.write_bytes(html_to_pdf(page, browser))
    text = pdf_text(pdf)
    lines = text.splitlines()
    for cluster in report["clusters"]:
        server = cluster["server"]
        assert any(server in line for line in lines), f"{server} is cut across lines"
        version = (cluster["version"] or {}).get("git_version") or cluster["recorded_version"]
        if not version:
            continue
        rows = [line for line in lines if version in line]
        assert rows, f"{version} is cut across lines"
        # The next column starts after a gap: "v1.30.14-eks-931bdca4 nodes" is two columns
        # run together.
        assert any(
            re.search(re.escape(version) + r"(\s{2,}|\s*$| \(recorded\))", r) for r in rows
        ), rows
    first = pdf_text(pdf, "-f", "1", "-l", "1")
    assert "NOT READY" in first and "Clusters" in first


def test_pdf_flag_and_output_dir(demo_fleet: RunningFleet, cli: Any, tmp_path: Path) -> None:
    need(find_browser(), "headless Chromium")
    out = tmp_path / "runs"
    result = cli(
        "scan", "--target", "4.3", "--kubeconfig", str(demo_fleet.kubeconfig), "--timeout", "3",
        "--no-progress", "--pdf", str(tmp_path / "r.pdf"), "--output-dir", str(out),
    )  # fmt: skip
    assert result.code == 1, result.err
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "latest.pdf").read_bytes().startswith(b"%PDF")
    assert len(list(out.glob("readiness-*.pdf"))) == 1
    again = cli("report", str(out / "latest.json"), "--pdf", str(tmp_path / "again.pdf"))
    assert again.code == 0 and (tmp_path / "again.pdf").read_bytes().startswith(b"%PDF")


def test_the_pdf_is_attached_with_the_other_reports(
    demo_fleet: RunningFleet, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import responses

    from tests.test_attach_cli import JIRA, TOKEN, UPLOAD
    from tests.test_cli import scan_args

    need(find_browser(), "headless Chromium")
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as jira:
        jira.post(UPLOAD, json=[])
        result = cli(*scan_args(demo_fleet, "--output-dir", str(tmp_path), "--jira-url", JIRA,
                                "--issue", "OPS-42"))  # fmt: skip
        assert result.code == 1, result.err
        bodies = [call.request.body for call in jira.calls]
    assert len(bodies) == 5  # json, markdown, html, junit and the PDF
    pdf = [body for body in bodies if b"application/pdf" in body]
    assert len(pdf) == 1 and b"%PDF" in pdf[0]
    assert "attached readiness-4.3-" in result.err and ".pdf" in result.err
