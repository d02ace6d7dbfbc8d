"""Hardening, round three: never fail open, never leave a cluster's path through the platform
proxy, one run's files or none, bounded everywhere, offline commands and odd environments,
and what was found while measuring. One class per kind of case; every case has a test.

Cluster traffic goes to the simulated fleet on loopback (real TLS, the real client); ticket
systems are a real socket server on loopback or ``responses``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from simfleet import ClusterSpec, Fleet
from simfleet.platform import PlatformCluster, PlatformSpec
from tests.conftest import RunningFleet, validate_report
from tests.kubeconfig_helpers import cluster, context, user, write_kubeconfig

PASSED = [{"name": "VersionUpgradePath", "policy": "Always", "state": "Passed"}]
NOW = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
BACKUP = {"records": [{"backupTimestamp": NOW, "fileName": "s.db", "result": "Success"}]}
GATE = "ack-4.3-last"


def platform(**extra: Any) -> PlatformSpec:
    values: dict[str, Any] = {
        "clusters": (PlatformCluster("global", version="v1.34.5-1"),),
        "current": {"version": "4.2.3"},
        "preflight": PASSED,
        "observed_at": NOW,
        "etcd_backup": BACKUP,
        "gates": {GATE: "read the notes"},
        "acks": {},
    }
    values.update(extra)
    return PlatformSpec(**values)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


SCANNER = [sys.executable, "-m", "scanner"]
ROOT = Path(__file__).resolve().parent.parent


def scan_json(cli: Any, kubeconfig: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = cli(
        "scan",
        "--target",
        "4.3",
        "--kubeconfig",
        str(kubeconfig),
        "--timeout",
        "3",
        "--retries",
        "0",
        "--no-progress",
        "--json",
        "-",
        *extra,
    )
    assert result.code in (0, 1, 3), result.err
    report = json.loads(result.out)
    validate_report(report)
    return result.code, report, result.err


def finding_ids(report: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["severity"] for c in report["clusters"] for f in c["findings"]}


# -- 1. never fail open ---------------------------------------------------------------------


class TestNeverFailOpen:
    @pytest.fixture(scope="class")
    @classmethod
    def fleet(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
        deep_shadow_list = '{"items": ' + nested(50_000) + "}"
        checks = [
            {"name": f"check-{i:05}", "policy": "Always", "state": "Passed"} for i in range(10_000)
        ]
        checks[9_000] = {"name": "check-09000", "policy": "Always", "state": "Failed"}
        gates = {f"ack-4.3-g{i:03}": "acknowledged" for i in range(299)}
        specs = [
            # cvo-config's preflight nests 10,000 levels: only that document is unreadable.
            ClusterSpec(
                "g-deep",
                "v1.34.5-1",
                node_count=1,
                platform=platform(cvo_preflight="disabled: " + nested(10_000)),
            ),
            # The shadow list itself is JSON nested 50,000 deep.
            ClusterSpec(
                "g-shadows",
                "v1.34.5-1",
                node_count=1,
                platform=platform(raw={"clusterversionshadows": deep_shadow_list}),
            ),
            # 300 gates, the one left unacknowledged sorts last.
            ClusterSpec(
                "g-gates",
                "v1.34.5-1",
                node_count=1,
                platform=platform(
                    gates={**gates, "ack-4.3-zzz": "the last one"},
                    acks=dict.fromkeys(gates, "true"),
                ),
            ),
            # 10,000 preflight checks, the failed one at #9,000.
            ClusterSpec(
                "g-checks",
                "v1.34.5-1",
                node_count=1,
                platform=platform(preflight=checks, gates={}, acks={}),
            ),
            # A gitVersion with a lone surrogate.
            ClusterSpec(
                "w-surrogate",
                "v1.33.2",
                node_count=1,
                version_doc={"major": "1", "minor": "33", "gitVersion": "v1.33.2-\ud800x"},
            ),
        ]
        with Fleet(specs, lifetime=300) as running:
            path = running.write_kubeconfig(tmp_path_factory.mktemp("open") / "kubeconfig.yaml")
            yield RunningFleet(running, path)

    def test_a_deeply_nested_config_map_costs_only_that_document(
        self, cli: Any, fleet: RunningFleet
    ) -> None:
        _, report, _ = scan_json(
            cli, fleet.kubeconfig, "--global-context", "g-deep", "--context", "w-surrogate"
        )
        found = finding_ids(report)
        # Everything else read stays: the gate is still judged, the version still known.
        assert found[f"admin-gate/{GATE}"] == "blocker"
        assert report["platform"]["current_version"] == "4.2.3"
        assert found["platform-unreadable/g-deep/cvo-config"] == "warning"
        assert report["platform"]["disabled_checks"] is None  # not read, never "none"
        assert not any("platform discovery skipped" in n for n in report["platform"]["notes"])
        assert report["verdict"] == "NOT_READY"

    def test_an_unreadable_document_that_holds_blockers_is_a_blocker(
        self, cli: Any, fleet: RunningFleet
    ) -> None:
        _, report, _ = scan_json(
            cli,
            fleet.kubeconfig,
            "--global-context",
            "g-shadows",
            "--context",
            "w-surrogate",
            "--from",
            "4.2",
        )
        found = finding_ids(report)
        assert found["platform-unreadable/g-shadows/clusterversionshadows"] == "blocker"
        assert report["verdict"] == "NOT_READY"

    def test_a_gate_past_any_cap_still_blocks(self, cli: Any, fleet: RunningFleet) -> None:
        _, report, _ = scan_json(
            cli, fleet.kubeconfig, "--global-context", "g-gates", "--context", "w-surrogate"
        )
        blockers = [i for i, s in finding_ids(report).items() if s == "blocker"]
        assert blockers == ["admin-gate/ack-4.3-zzz"], blockers
        assert len(report["platform"]["gates"]) == 300

    def test_a_failed_check_past_any_cap_still_blocks_and_the_report_caps_what_it_shows(
        self, cli: Any, fleet: RunningFleet, tmp_path: Path
    ) -> None:
        _, report, _ = scan_json(
            cli, fleet.kubeconfig, "--global-context", "g-checks", "--context", "w-surrogate"
        )
        assert finding_ids(report)["preflight/check-09000"] == "blocker"
        assert len(report["platform"]["preflight"]["checks"]) == 10_000  # JSON keeps all
        markdown = tmp_path / "r.md"
        cli("report", "--markdown", str(markdown), str(self._saved(report, tmp_path)))
        text = markdown.read_text(encoding="utf-8")
        assert "| Failed | check-09000 |" in text  # the failed one is shown first
        assert text.count("| Passed | check-") < 100
        assert "9950 more checks not shown (all Passed; every check is in the JSON report)" in (
            text
        )

    @staticmethod
    def _saved(report: dict[str, Any], tmp_path: Path) -> Path:
        path = tmp_path / "saved.json"
        path.write_text(json.dumps(report), encoding="utf-8")
        return path

    def test_a_lone_surrogate_from_a_cluster_costs_nothing(
        self, cli: Any, fleet: RunningFleet, tmp_path: Path
    ) -> None:
        out = tmp_path / "runs"
        _, report, _ = scan_json(
            cli,
            fleet.kubeconfig,
            "--no-discovery",
            "--global-context",
            "g-deep",
            "--context",
            "w-surrogate",
        )
        cluster = next(c for c in report["clusters"] if c["context"] == "w-surrogate")
        assert cluster["version"]["git_version"] == "v1.33.2-\ufffdx"
        result = cli(
            "scan",
            "--target",
            "4.3",
            "--kubeconfig",
            str(fleet.kubeconfig),
            "--no-discovery",
            "--global-context",
            "g-deep",
            "--context",
            "w-surrogate",
            "--no-progress",
            "--output-dir",
            str(out),
        )
        assert result.code in (0, 1), result.err
        assert {p.suffix for p in out.glob("latest.*")} == {".json", ".md", ".html", ".xml"}

    def test_a_saved_report_with_a_lone_surrogate_renders(self, cli: Any, tmp_path: Path) -> None:
        from tests.render.dataset import canonical_report

        text = canonical_report().to_json().replace('"ipi-prod"', '"ipi-\\udc80prod"', 1)
        saved = tmp_path / "saved.json"
        saved.write_text(text, encoding="utf-8")
        result = cli(
            "report",
            str(saved),
            "--html",
            str(tmp_path / "r.html"),
            "--markdown",
            str(tmp_path / "r.md"),
        )
        assert result.code == 0, result.err
        assert "ipi-\ufffdprod" in (tmp_path / "r.md").read_text(encoding="utf-8")

    def test_a_non_utf8_path_is_recorded_safely(self, fleet: RunningFleet, tmp_path: Path) -> None:
        target = os.path.join(os.fsencode(tmp_path), b"r\xff.json")
        args = [*SCANNER, "scan", "--target", "4.3", "--kubeconfig", str(fleet.kubeconfig),
                "--no-discovery", "--global-context", "g-deep", "--context", "w-surrogate",
                "--no-progress", "--json"]  # fmt: skip
        done = subprocess.run(
            [os.fsencode(a) for a in args] + [target],
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode in (0, 1), done.stderr
        report = json.loads(Path(os.fsdecode(target)).read_text(encoding="utf-8"))
        assert "r\ufffd.json" in report["metadata"]["command_line"]


# -- 2. never leave a cluster's path through the platform proxy -----------------------------


HOSTILE_NAMES = ("../..", "..%2F..", "w-good/version?", "UPPER", "a" * 254)


class TestProxyPath:
    def test_a_record_name_that_is_not_dns_1123_is_never_requested(
        self, cli: Any, tmp_path: Path
    ) -> None:
        records = tuple(
            PlatformCluster(name, version="v1.33.2-1") for name in ("w-good", *HOSTILE_NAMES)
        )
        spec = platform(
            clusters=(PlatformCluster("g", version="v1.34.5-1"), *records), gates={}, acks={}
        )
        specs = [
            ClusterSpec("g", "v1.34.5-1", node_count=1, platform=spec),
            ClusterSpec("w-good", "v1.33.2-1", node_count=1),
        ]
        with Fleet(specs, lifetime=120) as fleet:
            kubeconfig = fleet.write_kubeconfig(
                tmp_path / "k.yaml", omit=("w-good",), via_proxy=("g",)
            )
            _, report, _ = scan_json(cli, kubeconfig, "--global-context", "g")
            proxy = fleet.proxy_stats()
            assert proxy is not None
            paths = dict(proxy.paths)
        clusters = {c["context"]: c for c in report["clusters"]}
        assert clusters["w-good"]["status"] == "PASS"
        assert clusters["w-good"]["version"]["git_version"] == "v1.33.2-1"
        for name in HOSTILE_NAMES:
            bad = clusters[name]
            assert bad["status"] == "UNKNOWN" and bad["error"]["category"] == "config"
            assert "invalid cluster name" in bad["error"]["message"]
            assert bad["version"] is None  # never another cluster's version
        # Every request through the proxy stayed inside a valid cluster's prefix.
        assert paths and all(
            p.startswith(("/kubernetes/w-good/", "/kubernetes/g/")) for p in paths
        ), sorted(paths)


# -- 3. one run's files, or none ------------------------------------------------------------


def _latest(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("latest.*"))}


class TestOutputSet:
    @pytest.fixture(scope="class")
    @classmethod
    def fleet(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
        specs = [
            ClusterSpec("g", "v1.34.5-1", node_count=1),
            ClusterSpec("w", "v1.33.2", node_count=1),
        ]
        with Fleet(specs, lifetime=300) as running:
            path = running.write_kubeconfig(tmp_path_factory.mktemp("set") / "kubeconfig.yaml")
            yield RunningFleet(running, path)

    def _scan(self, fleet: RunningFleet, out: Path, **popen: Any) -> subprocess.Popen[str]:
        args = [
            *SCANNER,
            "scan",
            "--target",
            "4.3",
            "--from",
            "4.2",
            "--kubeconfig",
            str(fleet.kubeconfig),
            "--global-context",
            "g",
            "--no-progress",
            "--timeout",
            "3",
            "--output-dir",
            str(out),
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT), **popen.pop("env", {})}
        return subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
            **popen,
        )

    def test_a_full_disk_leaves_the_previous_set_and_no_half_run(
        self, fleet: RunningFleet, tmp_path: Path
    ) -> None:
        import resource

        out = tmp_path / "runs"
        first = self._scan(fleet, out, env={"UPGRADE_SCANNER_CHROMIUM": "/nonexistent"})
        assert first.wait(60) == 0, first.stderr.read() if first.stderr else ""
        before = _latest(out)
        runs_before = sorted(p.name for p in out.glob("readiness-*"))
        sizes = sorted(len(data) for data in before.values())
        limit = sizes[-1] - 1  # the largest format cannot be written: a full disk for it

        def small_files() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        time.sleep(1.1)  # a new run's stamp
        second = self._scan(
            fleet, out, preexec_fn=small_files, env={"UPGRADE_SCANNER_CHROMIUM": "/nonexistent"}
        )
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2, err
        assert len(err.strip().splitlines()) == 1 and "previous reports are untouched" in err
        assert _latest(out) == before
        assert sorted(p.name for p in out.glob("readiness-*")) == runs_before
        assert not [
            p.name
            for p in out.iterdir()
            if p.name.startswith(".") and not p.name.startswith(".upgrade-scanner")
        ]

    def test_sigterm_while_the_pdf_prints_writes_nothing(
        self, fleet: RunningFleet, tmp_path: Path
    ) -> None:
        out = tmp_path / "runs"
        first = self._scan(fleet, out, env={"UPGRADE_SCANNER_CHROMIUM": "/nonexistent"})
        assert first.wait(60) == 0
        before = _latest(out)
        started = tmp_path / "printing"
        browser = tmp_path / "chromium"
        browser.write_text(f"#!/bin/sh\ntouch {started}\nexec sleep 30\n", encoding="utf-8")
        browser.chmod(0o755)
        time.sleep(1.1)
        second = self._scan(fleet, out, env={"UPGRADE_SCANNER_CHROMIUM": str(browser)})
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the browser never started"
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
        assert second.returncode == 143, err
        assert "terminated; no report written" in err
        assert _latest(out) == before  # "no report written" is true

    def test_a_failure_in_the_switch_restores_the_previous_set(self, tmp_path: Path) -> None:
        from scanner.errors import ReportError
        from scanner.outputs import publish

        publish.publish_run(
            str(tmp_path),
            "4.3",
            "2026-01-01T00:00:00Z",
            {"json": "old-json", "md": "old-md", "html": "old-html"},
        )
        before = _latest(tmp_path)
        real_replace = os.replace
        calls = {"n": 0}

        def failing_replace(src: Any, dst: Any) -> None:
            if str(dst).endswith("latest.html") and ".previous" not in str(src):
                calls["n"] += 1
                raise OSError(28, "No space left on device")
            real_replace(src, dst)

        publish.os.replace = failing_replace  # type: ignore[attr-defined]
        try:
            with pytest.raises(ReportError, match="previous reports are untouched"):
                publish.publish_run(
                    str(tmp_path),
                    "4.3",
                    "2026-01-02T00:00:00Z",
                    {"json": "new", "md": "new", "html": "new"},
                )
        finally:
            publish.os.replace = real_replace  # type: ignore[attr-defined]
        assert calls["n"] == 1
        assert _latest(tmp_path) == before
        assert sorted(p.name for p in tmp_path.glob("readiness-*")) == [
            "readiness-4.3-20260101T000000Z.html",
            "readiness-4.3-20260101T000000Z.json",
            "readiness-4.3-20260101T000000Z.md",
        ]
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]

    def test_a_signal_during_the_switch_waits_for_it(self, tmp_path: Path) -> None:
        from scanner.errors import Terminated, raise_terminated
        from scanner.outputs import files, publish

        previous = signal.signal(signal.SIGTERM, raise_terminated)
        real_link = os.link
        sent = {"n": 0}

        def link_then_signal(src: Any, dst: Any) -> None:
            real_link(src, dst)
            if not sent["n"]:
                sent["n"] = 1
                os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the switch

        files.forget_written()
        publish.os.link = link_then_signal  # type: ignore[attr-defined]
        try:
            with pytest.raises(Terminated):
                publish.publish_run(
                    str(tmp_path), "4.3", "2026-01-02T00:00:00Z", {"json": "new", "md": "new"}
                )
        finally:
            publish.os.link = real_link  # type: ignore[attr-defined]
            signal.signal(signal.SIGTERM, previous)
        # The whole set was switched before the signal acted, and it is known as written.
        assert _latest(tmp_path) == {"latest.json": b"new", "latest.md": b"new"}
        assert len(files.written()) == 2


# -- 4. bounded everywhere ------------------------------------------------------------------


def _ca(fleet: Fleet) -> str:
    import base64

    return base64.b64encode(fleet.ca_pem("c")).decode()


def _exec_kubeconfig(tmp_path: Path, server: str, ca: str, script: str, **exec_fields: Any) -> Path:
    plugin = tmp_path / "plugin.py"
    plugin.write_text(script, encoding="utf-8")
    exec_config = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": sys.executable,
        "args": [str(plugin)],
        "interactiveMode": "Never",
        **exec_fields,
    }
    return write_kubeconfig(
        tmp_path / "exec.yaml",
        clusters=[cluster("c", server, **{"certificate-authority-data": ca})],
        users=[user("u", exec=exec_config)],
        contexts=[context("c", "c", "u")],
        current="c",
    )


class TestBounded:
    def test_many_records_are_judged_and_the_terminal_line_is_capped(
        self, cli: Any, tmp_path: Path
    ) -> None:
        names = [f"rec-{i:05}" for i in range(5_000)]
        records = tuple(PlatformCluster(n, version="v1.33.2-1") for n in names)
        spec = platform(
            clusters=(PlatformCluster("g", version="v1.34.5-1"), *records), gates={}, acks={}
        )
        with Fleet([ClusterSpec("g", "v1.34.5-1", node_count=1, platform=spec)], lifetime=120) as f:
            kubeconfig = f.write_kubeconfig(tmp_path / "k.yaml")
            started = time.monotonic()
            table = cli(
                "scan",
                "--target",
                "4.3",
                "--kubeconfig",
                str(kubeconfig),
                "--no-platform-proxy",
                "--no-progress",
                "--timeout",
                "5",
            )
            elapsed = time.monotonic() - started
            _, report, _ = scan_json(cli, kubeconfig, "--no-platform-proxy")
        assert len(report["clusters"]) == 5_001  # every record judged
        note = next(n for n in report["platform"]["notes"] if "reported from the record" in n)
        assert all(name in note for name in names)  # the JSON keeps every name
        line = next(x for x in table.out.splitlines() if "reported from the record" in x)
        assert len(line) < 600 and "more (every name is in the JSON report)" in line
        assert elapsed < 60  # generous: 5,000 records; the 50,000 figure is in make bench

    def test_a_million_series_is_folded_not_held(self) -> None:
        from scanner.collect.plan import RESOURCES_KEPT, DeprecatedTally

        tally = DeprecatedTally()
        line = (
            'apiserver_requested_deprecated_apis{group="g%d.example",removed_release="1.32",'
            'resource="r",subresource="%s",version="v1beta1"} 1'
        )
        for i in range(200_000):
            tally.add((line % (i, "status" if i % 2 else "")).encode())
        requests = tally.requests()
        assert len(requests) == RESOURCES_KEPT
        assert tally.dropped == 200_000 - RESOURCES_KEPT  # series counted, none held
        assert requests[1].paths == ("r/status",) and requests[0].paths == ("r",)

    def test_a_plan_says_what_was_not_kept(self, cli: Any, tmp_path: Path) -> None:
        series = tuple(
            {
                "group": f"g{i}.example",
                "version": "v1beta1",
                "resource": "things",
                "removed_release": "1.31",
            }
            for i in range(1_500)
        )
        specs = [
            ClusterSpec("g", "v1.34.5-1", node_count=1),
            ClusterSpec("old", "v1.30.4", node_count=1, deprecated_requests=series),
        ]
        with Fleet(specs, lifetime=120) as fleet:
            kubeconfig = fleet.write_kubeconfig(tmp_path / "k.yaml")
            _, report, _ = scan_json(cli, kubeconfig, "--global-context", "g", "--from", "4.2")
        plan = next(c for c in report["clusters"] if c["context"] == "old")["plan"]
        findings = [f for s in plan["steps"] for f in s["findings"] if f["rule"] == "removed-api"]
        assert len(findings) == 1_000
        assert any(
            n.startswith("500 more deprecated-API series name resources beyond the 1000 kept")
            for n in plan["notes"]
        ), plan["notes"]

    def test_an_exec_plugin_printing_without_end_is_stopped(self, cli: Any, tmp_path: Path) -> None:
        script = "import sys\nwhile True:\n    sys.stdout.buffer.write(b'x' * 65536)\n"
        with Fleet([ClusterSpec("c", "v1.33.2", node_count=1)], lifetime=60) as fleet:
            kubeconfig = _exec_kubeconfig(tmp_path, fleet.url("c"), _ca(fleet), script)
            started = time.monotonic()
            _, report, _ = scan_json(cli, kubeconfig, "--no-discovery")
        assert time.monotonic() - started < 20
        (only,) = report["clusters"]
        assert only["status"] == "UNKNOWN" and only["error"]["category"] == "config"
        assert "printed more than 1 MiB on stdout" in only["error"]["message"]

    def test_a_ticket_server_answering_a_byte_at_a_time_is_given_up_on(
        self, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JIRA_TOKEN", "tok-trickle-0123456789")
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        stop = threading.Event()

        def trickle() -> None:
            listener.settimeout(10)
            with listener:
                conn, _ = listener.accept()
                with conn:
                    conn.settimeout(1)
                    with contextlib.suppress(OSError):
                        conn.recv(65536)
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 60:
                        if stop.is_set():
                            return
                        try:
                            conn.sendall(bytes([byte]))
                        except OSError:
                            return
                        time.sleep(0.5)

        server = threading.Thread(target=trickle, daemon=True)
        server.start()
        report = tmp_path / "r.json"
        report.write_text("{}", encoding="utf-8")
        started = time.monotonic()
        try:
            result = cli(
                "attach",
                str(report),
                "--jira-url",
                f"http://127.0.0.1:{port}",
                "--issue",
                "OPS-1",
                "--timeout",
                "1",
            )
        finally:
            stop.set()
        assert time.monotonic() - started < 15
        assert result.code == 5, result.err
        assert "no complete answer within 5s" in result.err

    def test_report_on_a_fifo_without_a_writer_does_not_hang(
        self, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from scanner.inputs import yamlfile

        monkeypatch.setattr(yamlfile, "FIFO_WAIT_SECONDS", 1.0)
        fifo = tmp_path / "report.json"
        os.mkfifo(fifo)
        started = time.monotonic()
        result = cli("report", str(fifo), "--json", "-")
        assert time.monotonic() - started < 5
        assert result.code == 2 and "a pipe that delivered nothing" in result.err

    def test_report_on_dev_zero_is_refused_without_growing(self, cli: Any) -> None:
        result = cli("report", "/dev/zero", "--json", "-")
        assert result.code == 2 and "larger than the 64 MiB limit" in result.err


# -- 5. offline commands and odd environments -----------------------------------------------


def _saved_with(tmp_path: Path, change: Any) -> Path:
    from tests.render.dataset import canonical_report

    document = json.loads(canonical_report().to_json())
    change(document)
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


class TestOfflineAndEnvironments:
    @pytest.mark.parametrize(
        ("name", "change", "says"),
        [
            ("clusters a string", lambda d: d.update(clusters="x"), "clusters"),
            ("a cluster a number", lambda d: d["clusters"].__setitem__(0, 7), "clusters[0]"),
            ("platform numbers", lambda d: d["platform"].update(records="many"), "records"),
            ("platform a list", lambda d: d.update(platform=[1]), "platform"),
        ],
    )
    def test_a_report_of_the_wrong_shape_is_one_line(
        self, cli: Any, tmp_path: Path, name: str, change: Any, says: str
    ) -> None:
        path = _saved_with(tmp_path, change)
        for command in (("report", str(path), "--json", "-"), ("diff", str(path), str(path))):
            result = cli(*command)
            assert result.code == 2, (name, result.err)
            assert str(path) in result.err and says in result.err
            assert len(result.err.strip().splitlines()) == 1

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ('{"schema_version": 1, "x": ' + nested(100_000) + "}", "nested too deep"),
            ('{"schema_version": 1, "duration_seconds": NaN}', "NaN is not a JSON value"),
            ('{"schema_version": 1, "duration_seconds": Infinity}', "Infinity"),
        ],
    )
    def test_a_hostile_report_is_one_line(
        self, cli: Any, tmp_path: Path, text: str, says: str
    ) -> None:
        path = tmp_path / "hostile.json"
        path.write_text(text, encoding="utf-8")
        result = cli("report", str(path), "--json", "-")
        assert result.code == 2 and says in result.err, result.err
        assert len(result.err.strip().splitlines()) == 1

    def test_stdout_on_a_full_device_is_one_line(self) -> None:
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [*SCANNER, "policy"],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                timeout=60,
            )
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == (
            "upgrade-scanner: error: cannot write the output: No space left on device"
        )

    def test_a_redirect_to_a_login_page_on_another_host_is_a_failed_attachment(
        self, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JIRA_TOKEN", "tok-sso-0123456789abcdef")
        report = tmp_path / "r.json"
        report.write_text("{}", encoding="utf-8")
        upload = "https://jira.example.com/rest/api/2/issue/OPS-42/attachments"
        with responses.RequestsMock() as mock:
            mock.post(
                upload, status=302, headers={"Location": "https://sso.corp.example/login?from=jira"}
            )
            result = cli(
                "attach", str(report), "--jira-url", "https://jira.example.com", "--issue", "OPS-42"
            )
            assert [call.request.url for call in mock.calls] == [upload]  # never followed
        assert result.code == 5, result.err
        assert "redirected to another host (https://sso.corp.example)" in result.err
        assert "tok-sso" not in result.err

    def test_an_interactive_exec_plugin_is_not_run_without_a_terminal(
        self, cli: Any, tmp_path: Path
    ) -> None:
        marker = tmp_path / "ran"
        script = f"open({str(marker)!r}, 'w').close()\n"
        with Fleet([ClusterSpec("c", "v1.33.2", node_count=1)], lifetime=60) as fleet:
            kubeconfig = _exec_kubeconfig(
                tmp_path, fleet.url("c"), _ca(fleet), script, interactiveMode="Always"
            )
            _, report, _ = scan_json(cli, kubeconfig, "--no-discovery")
        (only,) = report["clusters"]
        assert only["status"] == "UNKNOWN" and only["error"]["category"] == "config"
        assert (
            "cannot support interactive mode: standard input is not a terminal"
            in (only["error"]["message"])
        )
        assert not marker.exists()

    def test_sigterm_during_start_up_is_exit_143_and_one_line(self, tmp_path: Path) -> None:
        # A sitecustomize sends SIGTERM the moment click is imported: the scanner is then
        # still starting (nothing of the command has run).
        (tmp_path / "sitecustomize.py").write_text(
            "import os, signal, sys\n"
            "class Hook:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'click':\n"
            "            sys.meta_path.remove(self)\n"
            "            os.kill(os.getpid(), signal.SIGTERM)\n"
            "        return None\n"
            "sys.meta_path.insert(0, Hook())\n",
            encoding="utf-8",
        )
        script = Path(sys.executable).parent / "upgrade-scanner"
        env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
        done = subprocess.run(
            [str(script), "--help"], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 143, (done.returncode, done.stderr)
        assert done.stderr == "upgrade-scanner: terminated; no report written\n"
        assert done.stdout == ""


# -- 6. found while measuring ---------------------------------------------------------------


class TestFoundWhileMeasuring:
    def test_one_removed_api_finding_per_resource_naming_its_subresources(self) -> None:
        from scanner.collect.plan import parse_deprecated

        lines = [
            b'apiserver_requested_deprecated_apis{group="batch",removed_release="1.25",'
            b'resource="cronjobs",subresource="",version="v1beta1"} 1',
            b'apiserver_requested_deprecated_apis{group="batch",removed_release="1.25",'
            b'resource="cronjobs",subresource="status",version="v1beta1"} 1',
        ]
        (request,) = parse_deprecated(lines)
        assert request.paths == ("cronjobs", "cronjobs/status") and request.series == 2

    def test_a_narrow_terminal_gets_a_narrow_table(
        self, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        specs = [
            ClusterSpec("global", "v1.34.5-1", node_count=1),
            ClusterSpec("a-workload-cluster-with-a-long-name", "v1.29.4", node_count=2),
        ]
        with Fleet(specs, lifetime=60) as fleet:
            kubeconfig = fleet.write_kubeconfig(tmp_path / "k.yaml")
            args = ("scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(kubeconfig),
                    "--no-progress", "--global-context", "global")  # fmt: skip
            monkeypatch.setenv("COLUMNS", "80")
            narrow = cli(*args)
            monkeypatch.delenv("COLUMNS")
            wide = cli(*args)
        table = narrow.out.split("\n\n")[0].splitlines()
        assert table[0].split() == ["CONTEXT", "VERSION", "STATUS", "FINDING"]
        assert all(len(line) <= 80 for line in table), table
        assert "Kubernetes 1.29 is outside" in narrow.out
        assert wide.out.split("\n\n")[0].splitlines()[0].split() == [
            "CONTEXT",
            "ROLE",
            "KIND",
            "PROVIDER",
            "VERSION",
            "NODES",
            "STATUS",
            "FINDING",
        ]
