"""scan --jira-url/--webhook and attach, through the CLI (the fleet is real, Jira is mocked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import responses

from tests.conftest import RunningFleet
from tests.test_cli import scan_args

JIRA = "https://jira.example.com"
UPLOAD = f"{JIRA}/rest/api/2/issue/OPS-42/attachments"
TOKEN = "jira-tok-7f3a9c1e5b"
# The demo platform blocks the global cluster (an unacknowledged gate): READY needs no discovery.
READY = ("--context", "aks-web", "--context", "ack-*", "--no-discovery")


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)
    # the kubernetes client talks to the fleet through urllib3, which responses leaves alone
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_ready_scan_whose_attachment_fails_exits_5(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path, jira: Any
) -> None:
    jira.post(UPLOAD, status=401)
    out = tmp_path / "out"
    result = cli(*scan_args(demo_fleet, *READY, "--output-dir", str(out),
                            "--jira-url", JIRA, "--issue", "OPS-42"))  # fmt: skip
    assert result.code == 5, result.err
    assert "401 Unauthorized: check the JIRA_TOKEN (and JIRA_USER) variable" in result.err
    assert len(list(out.glob("readiness-*"))) == 4  # the reports stay
    assert TOKEN not in result.out + result.err


def test_not_ready_scan_keeps_exit_1_and_attaches_every_file(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path, jira: Any
) -> None:
    jira.post(UPLOAD, json=[])
    result = cli(*scan_args(demo_fleet, "--output-dir", str(tmp_path),
                            "--jira-url", JIRA, "--issue", "OPS-42"))  # fmt: skip
    assert result.code == 1, result.err
    assert len(jira.calls) == 4
    assert result.err.count("attached readiness-4.3-") == 4
    jira.replace(responses.POST, UPLOAD, status=503)
    result = cli(*scan_args(demo_fleet, "--output-dir", str(tmp_path),
                            "--jira-url", JIRA, "--issue", "OPS-42"))  # fmt: skip
    assert result.code == 1  # NOT_READY stands: a failed upload never hides the verdict


def test_scan_checks_attachment_flags_before_scanning(
    cli: Any, demo_fleet: RunningFleet, jira: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    nothing = cli(*scan_args(demo_fleet, "--jira-url", JIRA, "--issue", "OPS-42"))
    assert nothing.code == 2 and "nothing to attach" in nothing.err
    monkeypatch.delenv("JIRA_TOKEN")
    no_token = cli(*scan_args(demo_fleet, "--json", "-", "--jira-url", JIRA, "--issue", "OPS-1"))
    assert no_token.code == 2 and "Jira needs JIRA_TOKEN" in no_token.err
    assert no_token.out == ""  # nothing scanned
    assert len(jira.calls) == 0


def test_attach_command(cli: Any, demo_fleet: RunningFleet, tmp_path: Path, jira: Any) -> None:
    report = tmp_path / "r.json"
    cli(*scan_args(demo_fleet, "--json", str(report)))
    jira.post("https://hooks.example.com/x/secret-path", body="ok")
    sent = cli("attach", str(report), "--webhook", "https://hooks.example.com/x/secret-path")
    assert sent.code == 0, sent.err
    assert "attached r.json to webhook https://hooks.example.com/…" in sent.err
    jira.post(UPLOAD, status=404)
    failed = cli("attach", str(report), "--jira-url", JIRA, "--issue", "OPS-42")
    assert failed.code == 5
    assert "404 Not Found: no such issue OPS-42" in failed.err
    none = cli("attach", str(report))
    assert none.code == 2 and "name a destination" in none.err


def test_webhook_url_stays_out_of_the_command_line() -> None:
    from scanner.cli import command_line

    hook = "https://hooks.example.com/services/T0/B0/s3cr3t-path"
    assert command_line(["scan", "--webhook", hook]) == (
        "upgrade-scanner scan --webhook 'https://hooks.example.com/…'"
    )
    assert "s3cr3t" not in command_line(["scan", f"--webhook={hook}"])
