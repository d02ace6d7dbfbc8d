"""The chaos fleet through the real CLI: every cluster reported, bounded, never READY,
and an interrupted scan leaves the previous reports intact."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scanner.collect import BUDGET_MARGIN
from simfleet import ClusterSpec, Failure, Fleet
from tests.conftest import RunningFleet

REPO = Path(__file__).resolve().parent.parent


def test_chaos_scan_reports_every_cluster_and_is_never_ready(
    cli: Any, chaos_fleet: RunningFleet
) -> None:
    timeout, retries = 1.0, 1
    began = time.monotonic()
    result = cli(
        "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(chaos_fleet.kubeconfig),
        "--timeout", str(timeout), "--retries", str(retries), "--json", "-", "--no-progress",
    )  # fmt: skip
    elapsed = time.monotonic() - began
    report = json.loads(result.out)
    assert [c["context"] for c in report["clusters"]] == chaos_fleet.fleet.names
    assert report["verdict"] != "READY"
    assert result.code == report["exit_code"] in (1, 3)
    assert "Traceback" not in result.err
    # Every cluster runs in parallel: the whole scan is bounded by one cluster's budget.
    assert elapsed < timeout * (retries + 1) + BUDGET_MARGIN + 10
    for cluster in report["clusters"]:
        assert (cluster["status"] == "UNKNOWN") == (cluster["error"] is not None)


def _default_signals() -> None:
    """In the child, before exec: SIGINT and SIGTERM as a shell in the foreground has them.
    A background job (``make test &``) inherits SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler, so the SIGINT case would test nothing but the shell."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _start_scan(kubeconfig: Path, out_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "scanner", "scan", "--target", "4.3", "--from", "4.2",
            "--kubeconfig", str(kubeconfig), "--timeout", "30", "--output-dir", str(out_dir),
        ],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_default_signals,
    )  # fmt: skip


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_interrupted_scan_keeps_the_previous_reports(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    previous = {ext: f"previous {ext}\n" for ext in ("json", "md", "html", "xml")}
    for ext, text in previous.items():
        (out_dir / f"latest.{ext}").write_text(text)
    specs = [ClusterSpec("global"), ClusterSpec("stuck", failure=Failure.HANG)]
    with Fleet(specs, lifetime=60) as fleet:
        process = _start_scan(fleet.write_kubeconfig(tmp_path / "kc.yaml"), out_dir)
        deadline = time.monotonic() + 20
        while fleet.requests("stuck") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # wait until the scan is really in flight
        assert fleet.requests("stuck") > 0
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().count("\n") == 0 and "no report written" in stderr
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(f"latest.{e}" for e in previous)
    for ext, text in previous.items():
        assert (out_dir / f"latest.{ext}").read_text() == text


def test_sigterm_handler_is_only_installed_by_the_console_script() -> None:
    # Library use (tests, embedding) must not have its signal handling changed by import.
    before = signal.getsignal(signal.SIGTERM)
    import scanner.cli  # noqa: F401

    assert signal.getsignal(signal.SIGTERM) is before
