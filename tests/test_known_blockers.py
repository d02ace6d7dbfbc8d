"""A known blocker outranks an unknown (SPEC 4, issue 13): the status is BLOCKED when any
blocker is known, the scan error stays beside it in every format, and every finding says
where its evidence came from."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from scanner.evaluate import status_of
from scanner.model import ErrorCategory, Finding, ScanError, Severity, Status, Waiver
from tests.conftest import RunningFleet, validate_report

ERROR = ScanError(ErrorCategory.UNREACHABLE, "connection refused")
BLOCKER = Finding("window/x", "window", Severity.BLOCKER, "outside")
WAIVER = Waiver("window/x", "r", "CHG-1", "board", "2099-12-31")


def test_status_order() -> None:
    assert status_of([BLOCKER], ERROR) is Status.BLOCKED
    assert status_of([], ERROR) is Status.UNKNOWN
    # Waiving the known blocker of a cluster that could not be scanned leaves it unknown.
    waived = Finding("window/x", "window", Severity.BLOCKER, "outside", waiver=WAIVER)
    assert status_of([waived], ERROR) is Status.UNKNOWN
    assert status_of([waived], None) is Status.PASS


def run_all(cli: Any, tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Path]]:
    formats = (("json", "json"), ("markdown", "md"), ("html", "html"), ("junit", "xml"))
    files = {fmt: tmp_path / f"r.{ext}" for fmt, ext in formats}
    flags = [item for fmt, path in files.items() for item in (f"--{fmt}", str(path))]
    result = cli(*args, *flags, "--no-progress", "--timeout", "2", "--retries", "0")
    validate_report(json.loads(files["json"].read_text()))
    return result.code, result.out, files


def cluster(files: dict[str, Path], context: str) -> dict[str, Any]:
    report = json.loads(files["json"].read_text())
    return next(c for c in report["clusters"] if c["context"] == context)


def assert_error_beside_blocker(files: dict[str, Path], out: str, context: str) -> None:
    found = cluster(files, context)
    assert found["status"] == "BLOCKED"
    assert found["error"] == {"category": "unreachable", "message": "connection refused"}
    row = next(line for line in out.splitlines() if line.startswith(context + " "))
    assert "BLOCKED" in row and "also could not be scanned: unreachable: connection refused" in row
    markdown = files["markdown"].read_text()
    assert "**Blocked; also could not be scanned** (unreachable): connection refused" in markdown
    html = files["html"].read_text()
    assert "Blocked; also could not be scanned</strong> (unreachable)" in html
    case = next(
        c for c in ET.parse(files["junit"]).getroot().iter("testcase") if c.get("name") == context
    )
    failures = case.findall("failure")
    assert len(failures) == 1 and case.find("error") is None
    assert "also could not be scanned: unreachable: connection refused" in failures[0].get(
        "message", ""
    )


def test_an_unsupported_from_blocks_an_unreachable_global(
    cli: Any, chaos_fleet: RunningFleet, tmp_path: Path
) -> None:
    code, out, files = run_all(
        cli, tmp_path, "scan", "--target", "4.3", "--from", "3.16", "--kubeconfig",
        str(chaos_fleet.kubeconfig), "--global-context", "refused", "--context", "healthy",
    )  # fmt: skip
    assert code == 1 and out.rstrip().splitlines()[-1].startswith("NOT_READY")
    assert_error_beside_blocker(files, out, "refused")
    path = next(f for f in cluster(files, "refused")["findings"] if f["rule"] == "upgrade-path")
    assert path["severity"] == "blocker" and path["evidence"] == "flag"
    assert path["message"].endswith("(the current version given with --from)")


def test_the_recorded_version_blocks_an_unreachable_workload(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    code, out, files = run_all(
        cli, tmp_path, "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig",
        str(demo_fleet.kubeconfig), "--context", "legacy-dc", "--context", "eks-prod",
    )  # fmt: skip
    assert code == 1
    assert_error_beside_blocker(files, out, "legacy-dc")
    legacy = cluster(files, "legacy-dc")
    window = next(f for f in legacy["findings"] if f["rule"] == "window")
    assert window["evidence"] == "record"
    assert window["message"] == (
        "Kubernetes 1.28 is outside the 4.3 window 1.31\u20131.34 (the version the platform "
        "records, v1.28.15: the live version could not be read)"
    )
    assert legacy["plan"]["notes"][0].startswith("removed-API usage and disruption budgets unknown")
    assert legacy["upgrade_path"] == ["1.29", "1.30", "1.31"]
    assert "v1.28.15 (recorded)" in next(
        line for line in out.splitlines() if line.startswith("legacy-dc ")
    )
    eks = next(f for f in cluster(files, "eks-prod")["findings"] if f["rule"] == "window")
    assert eks["evidence"] == "live"


def test_nothing_known_stays_unknown(cli: Any, demo_fleet: RunningFleet, tmp_path: Path) -> None:
    code, _, files = run_all(
        cli, tmp_path, "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig",
        str(demo_fleet.kubeconfig), "--context", "legacy-dc", "--no-discovery",
    )  # fmt: skip
    assert code == 3
    assert cluster(files, "legacy-dc")["status"] == "UNKNOWN"


def test_a_waived_known_blocker_leaves_the_cluster_unknown(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "waivers:\n  - finding: window/legacy-dc\n    reason: decommissioned next week\n"
        "    ticket: CHG-9\n    approved_by: board\n    expires: 2099-12-31\n"
    )
    code, _, files = run_all(
        cli, tmp_path, "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig",
        str(demo_fleet.kubeconfig), "--context", "legacy-dc", "--waivers", str(waivers),
    )  # fmt: skip
    legacy = cluster(files, "legacy-dc")
    assert legacy["status"] == "UNKNOWN"
    assert code == 1  # the demo platform's gate still blocks the global cluster


def test_every_evidence_source(cli: Any, demo_fleet: RunningFleet, tmp_path: Path) -> None:
    _, _, files = run_all(
        cli, tmp_path, "scan", "--target", "4.3", "--kubeconfig", str(demo_fleet.kubeconfig),
        "--context", "eks-prod", "--context", "ipi-prod",
    )  # fmt: skip
    report = json.loads(files["json"].read_text())
    evidence = {f["id"]: f["evidence"] for c in report["clusters"] for f in c["findings"]}
    assert evidence["window/eks-prod"] == "live"
    assert evidence["upgrade-path/global"] == "platform"  # the version the platform reports
    assert evidence["preflight/ipi-prod/CustomEtcdBackupCronJobsAbsent"] == "platform"
    assert evidence["admin-gate/ack-4.3-ingress-nginx-retirement"] == "platform"
    assert evidence["not-scanned/dr-standby"] == "record"  # no proxy: the record only
    assert set(evidence.values()) <= {"live", "record", "flag", "platform", "config"}
