"""Shared fixtures: simulated fleets on 127.0.0.1 and a CLI runner.

Fleets are session-scoped (certificates take a moment) and always stop: the context
manager closes them, and their own lifetime ends them even if a test run is killed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import run
from simfleet import Fleet, fleets


@dataclass
class RunningFleet:
    fleet: Fleet
    kubeconfig: Path


@dataclass
class CliResult:
    code: int
    out: str
    err: str


PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                   "all_proxy", "NO_PROXY", "no_proxy")  # fmt: skip


@pytest.fixture(autouse=True)
def _no_pdf_unless_asked(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Printing a PDF takes Chromium about a second: an --output-dir scan in a test writes
    none unless the test is about PDFs (``pdf`` in its module name, or the browser mark)."""
    module = request.module.__name__
    if "pdf" not in module and "print" not in module:
        monkeypatch.setenv("UPGRADE_SCANNER_CHROMIUM", "/nonexistent/chromium-disabled-in-tests")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback traffic must not depend on the proxy settings of the machine running tests."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


REPORT_SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "scanner" / "data" / "report.schema.json").read_text()
)
VALIDATED = {"reports": 0}  # how many JSON reports the suite validated (test_schema checks)


def validate_report(document: Any) -> None:
    """Raise when ``document`` (a JSON report) does not follow the published schema."""
    import jsonschema

    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)


@pytest.fixture(autouse=True, scope="session")
def _every_json_report_follows_the_schema() -> Iterator[None]:
    """Every JSON report written in this test session (by any command, in-process) is
    validated against ``scanner/data/report.schema.json`` as it is rendered."""
    from scanner.report import Report

    original, original_write = Report.to_json, Report.write_json

    def checked(self: Report) -> str:
        text = original(self)
        validate_report(json.loads(text))
        VALIDATED["reports"] += 1
        return text

    def checked_write(self: Report, handle: Any) -> None:
        buffer = io.StringIO()
        original_write(self, buffer)
        validate_report(json.loads(buffer.getvalue()))
        VALIDATED["reports"] += 1
        handle.write(buffer.getvalue())

    Report.to_json = checked  # type: ignore[method-assign]
    Report.write_json = checked_write  # type: ignore[method-assign]
    try:
        yield
    finally:
        Report.to_json = original  # type: ignore[method-assign]
        Report.write_json = original_write  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def demo_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    with Fleet(fleets.demo(), lifetime=900) as fleet:
        # dr-standby has no context: the platform records it (the direct global context
        # gives no platform proxy, so it is reported from its record).
        path = fleet.write_kubeconfig(
            tmp_path_factory.mktemp("demo") / "kubeconfig.yaml", omit=fleets.DEMO_OMIT
        )
        yield RunningFleet(fleet, path)


@pytest.fixture(scope="session")
def chaos_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    with Fleet(fleets.chaos(), lifetime=900) as fleet:
        path = fleet.write_kubeconfig(tmp_path_factory.mktemp("chaos") / "kubeconfig.yaml")
        yield RunningFleet(fleet, path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the CLI in-process as a user would: returns exit code, stdout and stderr."""
    monkeypatch.delenv("KUBECONFIG", raising=False)

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def scan_json(
    cli: Any, kubeconfig: Path, *extra: str, target: str = "4.3"
) -> tuple[CliResult, dict[str, Any]]:
    """``scan --json -`` as a user runs it (3 s timeout, no retries), its report validated."""
    result = cli(
        "scan", "--target", target, "--kubeconfig", str(kubeconfig), "--timeout", "3",
        "--retries", "0", "--no-progress", "--json", "-", *extra,
    )  # fmt: skip
    assert result.code in (0, 1, 3), result.err
    report: dict[str, Any] = json.loads(result.out)
    validate_report(report)
    return result, report


def by_context(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["context"]: c for c in report["clusters"]}
