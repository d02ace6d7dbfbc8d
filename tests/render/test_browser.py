"""The HTML report in a real browser: headless Chromium renders it without page errors.

The screenshot is kept in pytest's temporary directory for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.render import RenderOptions
from scanner.render.html import render
from tests.render.dataset import canonical_report

pytestmark = pytest.mark.browser

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What Chromium logs (--enable-logging=stderr) for an uncaught exception, a console message
# (the bundled script logs nothing) or a blocked resource. Older builds write "CONSOLE(".
PAGE_ERRORS = ("Uncaught", ":CONSOLE", "CONSOLE(", "Content Security Policy", "Refused to")


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("headless Chromium is required in CI: apt-get install -y chromium")
    pytest.skip("headless Chromium not installed: apt-get install -y chromium")


def run(
    tmp_path: Path, *args: str, options: RenderOptions | None = None
) -> subprocess.CompletedProcess[str]:
    report = tmp_path / "report.html"
    report.write_text(render(canonical_report(), options or RenderOptions()), encoding="utf-8")
    command = [chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(
        [*command, report.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )


def page_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(mark in line for mark in PAGE_ERRORS)]


def test_rendered_dom_has_verdict_and_every_cluster(tmp_path: Path) -> None:
    result = run(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "NOT READY" in dom and 'data-verdict="NOT_READY"' in dom
    for cluster in canonical_report().clusters:
        escaped = cluster.context.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in dom, cluster.context
    assert "<img" not in dom
    # The script ran: it revealed the filter buttons.
    assert '<div class="filters" id="filters">' in dom
    assert page_errors(result.stderr) == []


def test_screenshot(tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = run(
        tmp_path,
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    assert page_errors(result.stderr) == []


def test_page_errors_are_detected(tmp_path: Path) -> None:
    """The check above would catch a broken script: this one throws."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.js").write_text("no_such_function();\n")
    result = run(
        tmp_path,
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        options=RenderOptions(template_dir=str(templates)),
    )
    assert any("no_such_function" in line for line in page_errors(result.stderr))
