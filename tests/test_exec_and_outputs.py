"""Exec credential plugins beyond tokens (a client certificate, output that is not JSON, a
plugin that is not installed) against real TLS servers with the real client, and report
paths that cannot be written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.collect import CollectOptions, FleetCollector
from scanner.inputs.selection import Selection, select_all
from scanner.model import ErrorCategory, Observation
from simfleet import ClusterSpec, Fleet
from tests.conftest import RunningFleet


@pytest.fixture(scope="module")
def exec_fleet(tmp_path_factory: pytest.TempPathFactory) -> Any:
    specs = [
        ClusterSpec("global", "v1.34.5-1"),
        ClusterSpec("exec-cert", "v1.33.7-4", auth="exec", exec_mode="cert"),
        ClusterSpec("exec-garbage", "v1.33.7-4", auth="exec", exec_mode="garbage"),
    ]
    with Fleet(specs, lifetime=300) as fleet:
        path = fleet.write_kubeconfig(tmp_path_factory.mktemp("exec") / "kubeconfig.yaml")
        yield RunningFleet(fleet, path)


def observe(kubeconfig: Path, context: str) -> Observation:
    selection = Selection(kubeconfigs=(str(kubeconfig),), global_context="global")
    target = next(t for t in select_all(selection).targets if t.context == context)
    return FleetCollector(CollectOptions(timeout=5, retries=0))([target])[0]


def test_an_exec_plugin_may_hand_out_a_client_certificate(exec_fleet: RunningFleet) -> None:
    obs = observe(exec_fleet.kubeconfig, "exec-cert")
    assert obs.error is None and obs.version is not None
    assert obs.version.git_version == "v1.33.7-4"
    assert set(exec_fleet.fleet.auth_kinds("exec-cert")) == {"cert"}  # no token was sent


def test_exec_output_that_is_not_json_is_a_config_error(exec_fleet: RunningFleet) -> None:
    obs = observe(exec_fleet.kubeconfig, "exec-garbage")
    assert obs.error is not None and obs.error.category is ErrorCategory.CONFIG
    plugin = Path(sys.executable).name  # the simulated fleet's plugin runs as python PLUGIN
    assert obs.error.message == f"exec plugin {plugin!r} did not print ExecCredential JSON"
    assert exec_fleet.fleet.requests("exec-garbage") == 0  # never sent anonymously instead


def test_a_missing_exec_plugin_names_its_install_hint(
    exec_fleet: RunningFleet, tmp_path: Path
) -> None:
    config = yaml.safe_load(exec_fleet.kubeconfig.read_text())
    user = next(u for u in config["users"] if u["name"].startswith("exec-cert"))
    user["user"]["exec"].update(
        command="/nonexistent/bin/kubelogin",
        args=["get-token"],
        installHint="kubelogin is needed: brew install int128/kubelogin/kubelogin",
    )
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(config))
    obs = observe(path, "exec-cert")
    assert obs.error is not None and obs.error.category is ErrorCategory.CONFIG
    assert obs.error.message == (
        "exec plugin 'kubelogin' not found (kubelogin is needed: brew install "
        "int128/kubelogin/kubelogin)"
    )


@pytest.mark.parametrize("where", ["under-a-file", "read-only"])
def test_a_report_path_that_cannot_be_written_is_an_input_error(
    cli: Any, demo_fleet: RunningFleet, tmp_path: Path, where: str
) -> None:
    if where == "under-a-file":
        (tmp_path / "plain").write_text("a file, not a directory")
        target = tmp_path / "plain" / "report.json"
    else:
        target = Path("/proc/upgrade-scanner-cannot-write-here/report.json")
    result = cli(
        "scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(demo_fleet.kubeconfig),
        "--context", "aks-web", "--json", str(target), "--no-progress",
    )  # fmt: skip
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert result.err.startswith(f"upgrade-scanner: error: cannot write {target}: ")
    assert not target.exists()
