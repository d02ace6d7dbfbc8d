"""``--pdf`` without a browser: an input error naming what to install, after every other
report is written (no browser needed for this test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningFleet


def test_pdf_without_a_browser_is_exit_2_after_the_other_reports(
    demo_fleet: RunningFleet, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPGRADE_SCANNER_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "runs"
    result = cli(
        "scan", "--target", "4.3", "--kubeconfig", str(demo_fleet.kubeconfig), "--timeout", "3",
        "--no-progress", "--json", str(tmp_path / "r.json"), "--pdf", str(tmp_path / "r.pdf"),
        "--output-dir", str(out),
    )  # fmt: skip
    assert result.code == 2
    assert result.err == (
        "upgrade-scanner: error: --pdf needs headless Chromium to print the HTML report: "
        "install it (Debian/Ubuntu: apt-get install chromium) or set UPGRADE_SCANNER_CHROMIUM "
        "to its path; the other reports were written\n"
    )
    assert (tmp_path / "r.json").exists() and (out / "latest.html").exists()
    assert not (tmp_path / "r.pdf").exists() and not (out / "latest.pdf").exists()
    # Without --pdf, an output directory just has no PDF.
    plain = cli(
        "scan", "--target", "4.3", "--kubeconfig", str(demo_fleet.kubeconfig), "--timeout", "3",
        "--no-progress", "-q", "--output-dir", str(tmp_path / "plain"),
    )  # fmt: skip
    assert plain.code == 1 and not (tmp_path / "plain" / "latest.pdf").exists()
    stdout = cli("report", str(tmp_path / "r.json"), "--pdf", "-")
    assert stdout.code == 2 and "a PDF is not written to stdout" in stdout.err
