"""Waivers: visible, not counted, expiring, stale, and malformed files as input errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import WaiverError
from scanner.inputs.targets import Target
from scanner.inputs.waivers import load_waivers
from scanner.model import (
    ErrorCategory,
    NodeSummary,
    Observation,
    Role,
    ScanError,
    Severity,
    Status,
    Verdict,
    Waiver,
)
from scanner.report import Report
from scanner.versions import parse_git_version
from tests.builders import upgrade
from tests.conftest import RunningFleet
from tests.test_cli import scan_args

TODAY = dt.date(2026, 11, 23)


def fleet_report(waivers: Sequence[Waiver] = ()) -> Report:
    """A small fleet judged by the one evaluation pass: a global cluster, a cluster outside
    the window, one with a Docker node, one that could not be reached."""
    targets = [Target("global", Role.GLOBAL, "global")] + [
        Target(name, Role.WORKLOAD, name) for name in ("old", "docker", "gone")
    ]
    docker = NodeSummary(2, {"v1.32.1": 2}, {"docker://20.10.24": 1, "containerd://1.7.2": 1})
    observations = [
        Observation("global", version=parse_git_version("v1.33.7-4")),
        Observation("old", version=parse_git_version("v1.29.3")),
        Observation("docker", version=parse_git_version("v1.32.1"), nodes=docker),
        Observation("gone", error=ScanError(ErrorCategory.UNREACHABLE, "connection refused")),
    ]
    return upgrade(targets, observations, waivers=waivers, today=TODAY)


def _blocked(report: Report) -> list[str]:
    return [c.context for c in report.clusters if c.status is Status.BLOCKED]


def _waive_all_blockers_of(report: Report, context: str, expires: str) -> list[Waiver]:
    cluster = next(c for c in report.clusters if c.context == context)
    return [
        Waiver(f.id, "accepted risk", "CHG-1", "cab", expires)
        for f in cluster.findings
        if f.severity is Severity.BLOCKER
    ]


def test_waived_blockers_stay_visible_and_stop_counting() -> None:
    report = fleet_report()
    context = _blocked(report)[0]
    waivers = _waive_all_blockers_of(report, context, "2026-12-31")
    result = fleet_report(waivers)
    cluster = next(c for c in result.clusters if c.context == context)
    assert cluster.status is not Status.BLOCKED
    waived = [f for f in cluster.findings if f.waiver is not None]
    assert len(waived) == len(waivers) and waived[0].waiver == waivers[0]
    assert result.summary.waived == len(waivers)
    assert context not in _blocked(result)
    assert Report.from_json(result.to_json()) == result


def test_waivers_never_turn_unknown_into_a_pass() -> None:
    report = fleet_report()
    result = fleet_report([Waiver("*", "everything", "CHG-2", "cab", "2027-01-01")])
    assert result.summary.unknown == report.summary.unknown > 0
    assert result.verdict is Verdict.INCOMPLETE  # blockers waived, unknown remains


def test_expired_waiver_does_not_apply_and_warns() -> None:
    report = fleet_report()
    context = _blocked(report)[0]
    waivers = _waive_all_blockers_of(report, context, "2026-11-22")
    result = fleet_report(waivers)
    cluster = next(c for c in result.clusters if c.context == context)
    assert cluster.status is Status.BLOCKED
    expired = [f for f in cluster.findings if f.rule == "waiver-expired"]
    assert expired and all(f.severity is Severity.WARNING for f in expired)
    assert "expired on 2026-11-22" in expired[0].message


def test_stale_waiver_adds_info_on_the_global_cluster() -> None:
    result = fleet_report([Waiver("window/gone", "r", "CHG-3", "cab", "2027-01-01")])
    glob = next(c for c in result.clusters if c.role.value == "global")
    stale = [f for f in glob.findings if f.rule == "waiver-stale"]
    assert stale and stale[0].severity is Severity.INFO and "CHG-3" in stale[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("waivers: {}", "waivers: expected a list of entries"),
        ("- finding: x", "expected a mapping with one key 'waivers'"),
        ("waivers: [{finding: x}]", "waivers[0].reason: required, a non-empty string"),
        (
            "waivers: [{finding: x, reason: r, ticket: t, approved_by: a, expires: soon}]",
            'waivers[0].expires: "soon" is not a date of the form YYYY-MM-DD',
        ),
        (
            "waivers: [{finding: x, reason: r, ticket: t, approved_by: a, expires: 2026-01-01,"
            " approver: b}]",
            "waivers[0]: unknown key 'approver' (expected finding, reason, ticket, approved_by "
            "or expires; did you mean 'approved_by'?)",
        ),
        ("waivers: [", "not valid YAML"),
    ],
)
def test_malformed_waivers_are_input_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    with pytest.raises(WaiverError, match=re.escape(message)):
        load_waivers(str(path))


def test_scan_with_waivers(cli: Any, demo_fleet: RunningFleet, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - finding: window/eks-prod\n"
        "    reason: migration to 1.31 booked for next sprint\n"
        "    ticket: CHG-1234\n"
        "    approved_by: change-board\n"
        "    expires: 2099-12-31\n"
    )
    out = tmp_path / "r.json"
    # No discovery: the demo platform's gate blocks the global cluster.
    result = cli(*scan_args(demo_fleet, "--context", "eks-prod", "--waivers", str(waivers),
                            "--json", str(out), "--no-discovery"))  # fmt: skip
    report = json.loads(out.read_text())
    eks = next(c for c in report["clusters"] if c["context"] == "eks-prod")
    assert eks["status"] != "BLOCKED"
    assert eks["findings"][0]["waiver"]["ticket"] == "CHG-1234"
    assert report["summary"]["waived"] == 1
    assert result.code == report["exit_code"] == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("waivers: [{finding: x}]\n")
    bad = cli(*scan_args(demo_fleet, "--waivers", str(broken)))
    assert bad.code == 2 and bad.err.count("\n") == 1 and "reason: required" in bad.err
