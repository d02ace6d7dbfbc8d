"""History in an output directory: changes between runs, diff, --keep, the run lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Finding, Severity, Status
from scanner.outputs.history import (
    FOREIGN_LOCK_MAX_AGE,
    LOCK_NAME,
    LockedError,
    output_lock,
    prune,
)
from scanner.report import Report
from scanner.rules.changes import compare, regressed
from tests.conftest import RunningFleet
from tests.render.dataset import canonical_report
from tests.test_cli import scan_args


def _with_status(report: Report, context: str, status: Status, *findings: Finding) -> Report:
    clusters = tuple(
        replace(c, status=status, findings=findings) if c.context == context else c
        for c in report.clusters
    )
    return replace(report, clusters=clusters)


def test_compare_reports_new_and_resolved_blockers_and_status_changes() -> None:
    old = canonical_report()
    target = next(c for c in old.clusters if c.status is Status.PASS and c.role.value == "workload")
    blocker = Finding(f"window/{target.context}", "window", Severity.BLOCKER, "outside")
    new = _with_status(old, target.context, Status.BLOCKED, blocker)
    changes = compare(old, new)
    assert [(c.context, c.after) for c in changes.new_blockers] == [
        (target.context, f"window/{target.context}")
    ]
    assert [(c.context, c.before, c.after) for c in changes.status_changes] == [
        (target.context, "PASS", "BLOCKED")
    ]
    assert regressed(changes)
    back = compare(new, old)
    assert [c.before for c in back.resolved] == [f"window/{target.context}"]
    assert not regressed(back)


def test_identical_reports_have_no_changes() -> None:
    report = canonical_report()
    changes = compare(report, report)
    assert changes.empty and not regressed(changes)
    assert changes.since == report.generated_at


def test_changes_round_trip_through_json() -> None:
    old = canonical_report()
    new = replace(
        old, changes=compare(old, _with_status(old, old.clusters[-1].context, Status.UNKNOWN))
    )
    again = Report.from_json(new.to_json())
    assert again.changes == new.changes


def test_prune_keeps_the_newest_runs_with_all_their_formats(tmp_path: Path) -> None:
    stamps = ["20261101T000000Z", "20261102T000000Z", "20261103T000000Z"]
    for stamp in stamps:
        for ext in ("json", "md", "html", "xml"):
            (tmp_path / f"readiness-4.3-{stamp}.{ext}").write_text("x")
    (tmp_path / "latest.json").write_text("x")
    (tmp_path / "notes.txt").write_text("mine")
    removed = prune(str(tmp_path), keep=2)
    assert len(removed) == 4
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "readiness-4.3-20261101T000000Z.json" not in left
    assert {"latest.json", "notes.txt", "readiness-4.3-20261103T000000Z.html"} <= set(left)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    process = subprocess.Popen(["sleep", "60"])
    yield process.pid
    process.kill()
    process.wait()


def _lock(directory: Path, **fields: object) -> Path:
    lock = directory / LOCK_NAME
    lock.write_text(json.dumps({"host": socket.gethostname(), "started": "then", **fields}))
    return lock


def test_a_live_lock_is_refused_and_a_stale_one_taken_over(tmp_path: Path, live_pid: int) -> None:
    lock = _lock(tmp_path, pid=live_pid, started="2026-11-23T10:00:00Z")
    expected = rf"locked by pid {live_pid} on {socket.gethostname()} \(started 2026-11-23"
    with pytest.raises(LockedError, match=expected), output_lock(str(tmp_path)):
        pass
    _lock(tmp_path, pid=_dead_pid())
    with output_lock(str(tmp_path)):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()


def test_our_own_pid_in_a_lock_is_a_dead_run(tmp_path: Path) -> None:
    # In a container every run gets the same pid: a killed run's lock must not block the next.
    _lock(tmp_path, pid=os.getpid())
    with output_lock(str(tmp_path)):
        pass


def test_a_lock_from_another_host_expires(tmp_path: Path) -> None:
    _lock(tmp_path, pid=1, host="other-pod", epoch=time.time())
    with pytest.raises(LockedError, match="on other-pod"), output_lock(str(tmp_path)):
        pass
    _lock(tmp_path, pid=1, host="other-pod", epoch=time.time() - FOREIGN_LOCK_MAX_AGE - 1)
    with output_lock(str(tmp_path)):
        pass


def test_second_scan_records_changes_and_diff_exit_codes(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    out = tmp_path / "runs"
    # No discovery: the demo platform's gate would block the global cluster in both runs.
    first = cli(
        *scan_args(demo_fleet, "--context", "eks-prod", "--output-dir", str(out), "--no-discovery")
    )
    assert first.code == 1
    saved_first = tmp_path / "first.json"
    saved_first.write_text((out / "latest.json").read_text())
    second = cli(
        *scan_args(demo_fleet, "--context", "aks-web", "--output-dir", str(out), "--no-discovery")
    )
    assert second.code == 0
    latest = json.loads((out / "latest.json").read_text())
    changes = latest["changes"]
    assert changes["previous_verdict"] == "NOT_READY"
    assert [c["context"] for c in changes["resolved"]] == ["eks-prod"]
    assert "Changes since" in (out / "latest.md").read_text()
    assert "Changes since" in (out / "latest.html").read_text()
    improved = cli("diff", str(saved_first), str(out / "latest.json"))
    assert improved.code == 0 and "eks-prod" in improved.out
    worse = cli("diff", str(out / "latest.json"), str(saved_first), "--json")
    assert worse.code == 1
    assert json.loads(worse.out)["status_changes"][0]["to"] == "BLOCKED"


def test_locked_output_dir_exits_2_and_touches_nothing(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path, live_pid: int
) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    (out / "latest.json").write_text("previous")
    _lock(out, pid=live_pid)
    result = cli(*scan_args(demo_fleet, "--context", "aks-web", "--output-dir", str(out)))
    assert result.code == 2
    assert f"locked by pid {live_pid}" in result.err and result.err.count("\n") == 1
    assert (out / "latest.json").read_text() == "previous"
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME, "latest.json"]


def test_redacted_runs_compare_alike(cli: Any, tmp_path: Path) -> None:
    """``--redact --output-dir`` twice: the second run compares its redacted report with the
    redacted latest.json, so a context that spells its host (``oc login`` style) shows no
    spurious change, and no file of the directory names the host."""
    import yaml

    from simfleet import ClusterSpec, Fleet

    specs = [ClusterSpec("global", "v1.34.5-1"), ClusterSpec("ocp", "v1.30.14")]
    with Fleet(specs, lifetime=120) as fleet:
        path = fleet.write_kubeconfig(tmp_path / "kubeconfig.yaml")
        config = yaml.safe_load(path.read_text())
        port = fleet.url("ocp").rsplit(":", 1)[1]
        oc_login = f"default/127-0-0-1:{port}/kube:admin"
        for context in config["contexts"]:
            if context["name"] == "ocp":
                context["name"] = oc_login
        path.write_text(yaml.safe_dump(config))
        out = tmp_path / "reports"
        args = ["scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(path)]
        args += ["--global-context", "global", "--no-discovery", "--redact"]
        args += ["--output-dir", str(out), "--no-progress"]
        assert cli(*args).code == 1
        assert cli(*args).code == 1
    latest = json.loads((out / "latest.json").read_text())
    changes = latest["changes"]
    assert changes is not None
    assert [changes[k] for k in ("new_blockers", "resolved", "status_changes")] == [[], [], []]
    assert any(c["context"].startswith("default/cluster-1-redacted:") for c in latest["clusters"])
    for file in out.iterdir():
        if file.is_file():
            assert "127.0.0.1" not in file.read_text() and "127-0-0-1" not in file.read_text()
