"""The command line as a user runs it: exit codes, input errors, outputs, secrets."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from scripts.update_readme import COMMANDS
from tests.conftest import CliResult, RunningFleet, load_json

INVENTORY = str(Path(__file__).parent.parent / "fixtures" / "demo" / "inventory.yaml")


def scan_args(fleet: RunningFleet, *extra: str) -> list[str]:
    return [
        "scan",
        "--target",
        "4.3",
        "--from",
        "4.2",
        "--kubeconfig",
        str(fleet.kubeconfig),
        "--inventory",
        INVENTORY,
        "--timeout",
        "2",
        "--no-progress",
        *extra,
    ]


def test_ready_exits_0(cli: Any, demo_fleet: RunningFleet) -> None:
    # The demo platform blocks the global cluster (an unacknowledged gate): no discovery here.
    result: CliResult = cli(
        *scan_args(demo_fleet, "--context", "aks-web", "--context", "ack-*", "--no-discovery")
    )
    assert result.code == 0, result.out + result.err
    assert result.out.rstrip().splitlines()[-1].startswith("READY: upgrade to 4.3 from 4.2")


def test_blocked_exits_1_and_prints_the_table(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    result = cli(*scan_args(demo_fleet, "--json", str(tmp_path / "r.json")))
    assert result.code == 1
    assert "eks-prod" in result.out and "BLOCKED" in result.out
    assert "NOT_READY" in result.out.splitlines()[-1]
    report = load_json(tmp_path / "r.json")
    assert report["verdict"] == "NOT_READY" and report["exit_code"] == 1
    by_context = {c["context"]: c for c in report["clusters"]}
    assert by_context["openshift-fin"]["upgrade_path"] == ["1.30", "1.31"]
    # Unreachable, but the platform records it on 1.28: blocked by its record (SPEC 4), the
    # error kept beside the blocker.
    assert by_context["legacy-dc"]["status"] == "BLOCKED"
    assert by_context["legacy-dc"]["error"]["category"] == "unreachable"
    assert by_context["eks-prod"]["kind"] == "third-party"
    assert by_context["gke-analytics"]["version"]["minor"] == 31


def test_unknown_only_exits_3(cli: Any, demo_fleet: RunningFleet) -> None:
    result = cli(*scan_args(demo_fleet, "--context", "legacy-dc", "-q", "--no-discovery"))
    assert result.code == 3
    assert result.out.startswith("INCOMPLETE:")
    assert len(result.out.strip().splitlines()) == 1  # -q: only the verdict line


def test_internal_error_exits_4_with_one_line(
    cli: Any, demo_fleet: RunningFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.pipeline

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(scanner.pipeline, "evaluate", explode)
    result = cli(*scan_args(demo_fleet, "--context", "ipi-prod"))
    assert result.code == 4
    assert result.err.count("\n") == 1 and "internal error: RuntimeError" in result.err
    assert "Traceback" not in result.err


def test_json_to_stdout_is_parseable(cli: Any, demo_fleet: RunningFleet) -> None:
    result = cli(*scan_args(demo_fleet, "--context", "aks-web", "--json", "-"))
    report = json.loads(result.out)
    assert report["schema_version"] == 1
    # dr-standby has no kubeconfig context: the global cluster's records add it.
    assert [c["context"] for c in report["clusters"]] == ["global", "aks-web", "dr-standby"]
    required = {
        "schema_version", "tool", "generated_at", "duration_seconds", "target", "from",
        "policy", "verdict", "exit_code", "summary", "clusters",
    }  # fmt: skip
    assert required <= set(report)
    assert set(report["summary"]) == {
        "total", "pass", "warn", "blocked", "unknown", "waived",
        "plan_blockers", "must_move", "plan_steps", "removed_apis_in_use",
    }  # fmt: skip
    assert len(report["policy"]["sha256"]) == 64


def test_onboarding_exit_codes(cli: Any, demo_fleet: RunningFleet) -> None:
    base = ["onboarding", "--target", "4.3", "--kubeconfig", str(demo_fleet.kubeconfig)]
    accepted = cli(*base, "--context", "eks-prod", "--context", "aks-web", "--no-progress")
    assert accepted.code == 0, accepted.out
    unreachable = cli(*base, "--context", "legacy-dc", "--no-progress")
    assert unreachable.code == 1


def test_kubeconfig_is_byte_identical_after_a_scan(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    before = hashlib.sha256(demo_fleet.kubeconfig.read_bytes()).hexdigest()
    cli(*scan_args(demo_fleet, "--output-dir", str(tmp_path)))
    assert hashlib.sha256(demo_fleet.kubeconfig.read_bytes()).hexdigest() == before


def test_no_secret_in_any_output_at_verbose(
    cli: Any, chaos_fleet: RunningFleet, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    outputs = []
    for fleet in (demo_fleet, chaos_fleet):
        out_dir = tmp_path / fleet.kubeconfig.parent.name
        result = cli(*scan_args(fleet, "-v", "--output-dir", str(out_dir), "--timeout", "1"))
        outputs += [result.out, result.err]
        outputs += [p.read_text() for p in out_dir.iterdir() if p.is_file()]
    text = "\n".join(outputs)
    assert "DEBUG" in text  # -v really logged
    secrets = demo_fleet.fleet.sensitive_values() + chaos_fleet.fleet.sensitive_values()
    for secret in secrets:
        assert secret not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan"], "Missing option '--target'"),
        (["scan", "--target", "5.0"], "unknown platform version '5.0'"),
        (["scan", "--target", "4.2", "--no-discovery"], "--from is required for --target 4.2"),
        (["scan", "--target", "4.3", "--timeout", "0"], "--timeout"),
        (["scan", "--target", "4.3", "-q", "-v"], "cannot be used together"),
        (["scan", "--target", "4.3", "--kubeconfig", "/nonexistent/kc"], "/nonexistent/kc"),
        (["scan", "--target", "4.3", "--policy", "/nonexistent/p.yaml"], "/nonexistent/p.yaml"),
        (["report", "/nonexistent/r.json", "--html", "x.html"], "/nonexistent/r.json"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_input_errors_are_one_line_exit_2(cli: Any, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("upgrade-scanner: error: ")
    assert message in result.err


def test_unknown_context_and_bad_files_exit_2(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    unknown = cli(*scan_args(demo_fleet, "--context", "eks-prd"))
    assert unknown.code == 2 and "did you mean" in unknown.err
    bad_global = cli(*scan_args(demo_fleet, "--global-context", "nope"))
    assert bad_global.code == 2 and "nope" in bad_global.err
    broken = tmp_path / "broken.yaml"
    broken.write_text("clusters: [\n")
    bad_yaml = cli("scan", "--target", "4.3", "--kubeconfig", str(broken))
    assert bad_yaml.code == 2 and str(broken) in bad_yaml.err
    assert bad_yaml.err.count("\n") == 1
    policy = tmp_path / "policy.yaml"
    policy.write_text("id: x\nsource: y\nreleses: {}\n")
    bad_policy = cli("scan", "--target", "4.3", "--policy", str(policy))
    assert bad_policy.code == 2 and "did you mean 'releases'" in bad_policy.err
    not_report = tmp_path / "x.json"
    not_report.write_text('{"schema_version": 99}')
    bad_report = cli("report", str(not_report), "--json", "-")
    assert bad_report.code == 2 and "schema_version 99" in bad_report.err


def test_contexts_needs_no_network(cli: Any, tmp_path: Path) -> None:
    kubeconfig = Path(__file__).parent.parent / "fixtures" / "kubeconfig" / "fleet.yaml"
    result = cli("contexts", "--kubeconfig", str(kubeconfig))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["CONTEXT", "ROLE", "KIND", "SERVER", "CONFIG"]
    assert lines[1].split()[:2] == ["global", "global"]


def test_policy_command_prints_the_matrix(cli: Any) -> None:
    result = cli("policy")
    assert result.code == 0
    assert "| 4.3" in result.out and "1.34, 1.33, 1.32, 1.31" in result.out
    detail = cli("policy", "--target", "v4.3.1")
    assert "Technology Preview" in detail.out


def test_report_rerenders_saved_json(cli: Any, demo_fleet: RunningFleet, tmp_path: Path) -> None:
    saved = tmp_path / "saved.json"
    cli(*scan_args(demo_fleet, "--context", "eks-prod", "--json", str(saved)))
    again = tmp_path / "again.json"
    result = cli("report", str(saved), "--json", str(again))
    assert result.code == 0
    assert load_json(again) == load_json(saved)


@pytest.mark.parametrize(
    "entry", [["-m", "scanner"], ["-c", "from scanner.cli import main; main()"]]
)
def test_console_entry_points(entry: list[str]) -> None:
    version = subprocess.run(
        [sys.executable, *entry, "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0 and "upgrade-scanner, version" in version.stdout
    missing = subprocess.run(
        [sys.executable, *entry, "scan"], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_readme_usage_matches_help(cli: Any) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        text = cli(*command, "--help").out
        assert text in readme, f"README is out of date for: upgrade-scanner {' '.join(command)}"


def test_output_dir_writes_every_format_and_latest(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    result = cli(*scan_args(demo_fleet, "--context", "eks-prod", "--output-dir", str(out)))
    names = sorted(p.name for p in out.iterdir())
    stamped = [n for n in names if n.startswith("readiness-4.3-")]
    assert sorted(n.rsplit(".", 1)[1] for n in stamped) == ["html", "json", "md", "xml"]
    assert {"latest.json", "latest.md", "latest.html", "latest.xml"} <= set(names)
    assert all(re.fullmatch(r"readiness-4\.3-\d{8}T\d{6}Z\.\w+", n) for n in stamped)
    assert (out / "latest.md").read_text() == (out / stamped[2]).read_text()  # the .md one
    assert result.out.count("wrote ") == 4


def test_redact_and_metrics_file(cli: Any, demo_fleet: RunningFleet, tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    metrics = tmp_path / "m" / "scanner.prom"
    out = tmp_path / "reports"
    cli(
        *scan_args(demo_fleet, "--redact", "--output-dir", str(out), "--metrics-file", str(metrics))
    )
    for path in out.iterdir():
        assert "127.0.0.1" not in path.read_text(), path.name
    families = {f.name: f for f in text_string_to_metric_families(metrics.read_text())}
    assert families["upgrade_scanner_ready"].samples[0].value == 0
    assert sorted(p.name for p in metrics.parent.iterdir()) == ["scanner.prom"]


def test_report_command_renders_every_format(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    saved = tmp_path / "saved.json"
    cli(*scan_args(demo_fleet, "--json", str(saved)))
    outputs = {fmt: tmp_path / f"out.{fmt}" for fmt in ("markdown", "html", "junit")}
    args = [arg for fmt, path in outputs.items() for arg in (f"--{fmt}", str(path))]
    result = cli("report", str(saved), *args)
    assert result.code == 0
    assert "eks-prod" in outputs["markdown"].read_text()
    assert "<html" in outputs["html"].read_text()
    assert ET.parse(outputs["junit"]).getroot().tag == "testsuites"


def test_works_as_a_kubectl_plugin() -> None:
    kubectl = shutil.which("kubectl")
    plugin = Path(sys.executable).parent / "kubectl-upgrade_scanner"
    if kubectl is None or not plugin.exists():
        pytest.skip("needs kubectl on PATH and the installed console script")
    env = {**os.environ, "PATH": f"{plugin.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [kubectl, "upgrade-scanner", "scan"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 2
    assert "see 'kubectl upgrade-scanner scan --help'" in done.stderr
