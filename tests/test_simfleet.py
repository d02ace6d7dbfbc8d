"""The simulated fleet itself, over its real TLS listeners (plain ssl/http.client and the real
kubernetes client), not through the scanner."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
import yaml
from kubernetes.config import new_client_from_config

from simfleet import ClusterSpec, Failure, Fleet, NodeSpec, fleets
from simfleet.kubeconfig import EXEC_PLUGIN
from simfleet.responses import BIG_BODY_SIZE

REPO = Path(__file__).resolve().parents[1]
OLD_KUBELET = "v1.31.2"
DOCKER = "docker://20.10.24"

SPECS = [
    ClusterSpec(
        "healthy",
        "v1.33.7-4",
        nodes=(
            NodeSpec(),
            NodeSpec(),
            NodeSpec(container_runtime=DOCKER),
            NodeSpec(kubelet_version=OLD_KUBELET),
            NodeSpec(),
        ),
    ),
    ClusterSpec("certs", auth="cert"),
    ClusterSpec("basic", auth="basic"),
    ClusterSpec("exec", "v1.34.1+k3s1", auth="exec"),
    ClusterSpec("gke", "v1.31.6-gke.1020000", minor="31+"),
    ClusterSpec("rke2", "v1.32.4+rke2r1", major="", minor=""),
    *(ClusterSpec(f.value.replace("_", "-"), failure=f) for f in Failure),
]


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    with Fleet(SPECS, lifetime=90) as running:
        yield running


@pytest.fixture(scope="module")
def kubeconfig(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fleet.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")


def client_context(fleet: Fleet, name: str, cert_dir: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cadata=fleet.ca_pem(name).decode())
    if cert_dir is not None:
        cert, key = fleet.client_cert(name)
        (cert_dir / "client.crt").write_bytes(cert)
        (cert_dir / "client.key").write_bytes(key)
        ctx.load_cert_chain(cert_dir / "client.crt", cert_dir / "client.key")
    return ctx


def connect(
    fleet: Fleet, name: str, *, timeout: float = 5.0, ctx: ssl.SSLContext | None = None
) -> http.client.HTTPSConnection:
    context = ctx or client_context(fleet, name)
    return http.client.HTTPSConnection(
        "127.0.0.1", fleet.port(name), context=context, timeout=timeout
    )


def bearer(fleet: Fleet, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {fleet.token(name)}"}


def get(
    fleet: Fleet, name: str, path: str, headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = connect(fleet, name)
    try:
        conn.request("GET", path, headers=bearer(fleet, name) if headers is None else headers)
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


# -- healthy clusters ----------------------------------------------------------------------


def test_version_over_verified_tls(fleet: Fleet) -> None:
    response, body = get(fleet, "healthy", "/version")
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert int(response.getheader("Content-Length") or 0) == len(body)
    doc = json.loads(body)
    assert (doc["gitVersion"], doc["major"], doc["minor"]) == ("v1.33.7-4", "1", "33")


@pytest.mark.parametrize(
    ("name", "major", "minor"), [("gke", "1", "31+"), ("rke2", "", ""), ("exec", "1", "34")]
)
def test_reported_major_minor(fleet: Fleet, name: str, major: str, minor: str) -> None:
    doc = json.loads(get(fleet, name, "/version")[1])
    assert (doc["major"], doc["minor"]) == (major, minor)


def test_keep_alive_and_request_count(fleet: Fleet) -> None:
    before = fleet.requests("gke")
    conn = connect(fleet, "gke")
    for _ in range(3):
        conn.request("GET", "/version", headers=bearer(fleet, "gke"))
        response = conn.getresponse()
        response.read()
        assert response.status == 200
    conn.close()
    assert fleet.requests("gke") == before + 3
    assert fleet.stats("gke").paths["/version"] >= 3


def test_node_paging(fleet: Fleet) -> None:
    names: list[str] = []
    items: list[dict[str, Any]] = []
    token = ""
    for expected in (2, 2, 1):
        query = "limit=2" + (f"&continue={token}" if token else "")
        response, body = get(fleet, "healthy", f"/api/v1/nodes?{query}")
        page = json.loads(body)
        assert response.status == 200
        assert (page["kind"], page["apiVersion"]) == ("NodeList", "v1")
        assert len(page["items"]) == expected
        items += page["items"]
        token = page["metadata"].get("continue", "")
    assert token == ""
    names = [item["metadata"]["name"] for item in items]
    assert names == [f"healthy-node-{i}" for i in range(1, 6)]
    infos = [item["status"]["nodeInfo"] for item in items]
    assert [info["kubeletVersion"] for info in infos].count(OLD_KUBELET) == 1
    assert [info["containerRuntimeVersion"] for info in infos].count(DOCKER) == 1
    assert all(info["kernelVersion"] and info["osImage"] for info in infos)
    everything = json.loads(get(fleet, "healthy", "/api/v1/nodes")[1])
    assert everything["items"] == items


def test_bad_continue_is_400(fleet: Fleet) -> None:
    response, body = get(fleet, "healthy", "/api/v1/nodes?limit=1&continue=garbage!")
    assert response.status == 400
    assert json.loads(body)["kind"] == "Status"


def test_unknown_path_is_404_status(fleet: Fleet) -> None:
    response, body = get(fleet, "healthy", "/api/v1/pods")
    assert response.status == 404
    assert json.loads(body)["reason"] == "NotFound"


# -- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}])
def test_401_without_valid_credentials(fleet: Fleet, headers: dict[str, str]) -> None:
    response, body = get(fleet, "basic", "/version", headers=headers)
    assert response.status == 401
    status = json.loads(body)
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 401, "Unauthorized")


def test_anonymous_requests_are_recorded(fleet: Fleet) -> None:
    before = fleet.auth_kinds("gke").get("anonymous", 0)
    get(fleet, "gke", "/version", headers={})
    assert fleet.auth_kinds("gke")["anonymous"] == before + 1


def test_basic_auth(fleet: Fleet) -> None:
    user, password = fleet.basic_auth("basic")
    credential = base64.b64encode(f"{user}:{password}".encode()).decode()
    response, _ = get(fleet, "basic", "/version", headers={"Authorization": f"Basic {credential}"})
    assert response.status == 200
    assert fleet.auth_kinds("basic")["basic"] >= 1


def test_client_certificate_auth(fleet: Fleet, tmp_path: Path) -> None:
    conn = connect(fleet, "certs", ctx=client_context(fleet, "certs", tmp_path))
    conn.request("GET", "/version")
    response = conn.getresponse()
    assert response.status == 200, response.read()
    conn.close()
    assert fleet.auth_kinds("certs")["cert"] >= 1


# -- failure modes ---------------------------------------------------------------------------


def test_hang_times_out_after_handshake(fleet: Fleet) -> None:
    conn = connect(fleet, "hang", timeout=0.5)
    conn.connect()  # the TLS handshake completes
    conn.request("GET", "/version", headers=bearer(fleet, "hang"))
    with pytest.raises(TimeoutError):
        conn.getresponse()
    conn.close()


def test_no_tls_times_out_in_handshake(fleet: Fleet) -> None:
    with pytest.raises(TimeoutError):
        connect(fleet, "no-tls", timeout=0.5).connect()


def test_refused(fleet: Fleet) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", fleet.port("refused")), timeout=2)


def test_reset(fleet: Fleet) -> None:
    with pytest.raises(ConnectionResetError):
        connect(fleet, "reset").connect()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("expired", "certificate has expired"),
        ("wrong-ca", "unable to get local issuer certificate"),
        ("hostname-mismatch", "mismatch"),
    ],
)
def test_certificate_failures(fleet: Fleet, name: str, reason: str) -> None:
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        connect(fleet, name).connect()
    assert reason in str(failure.value.verify_message)


@pytest.mark.parametrize(
    ("name", "code"), [("status-401", 401), ("status-403", 403), ("status-500", 500)]
)
def test_error_statuses(fleet: Fleet, name: str, code: int) -> None:
    response, body = get(fleet, name, "/version")
    assert response.status == code
    assert json.loads(body)["code"] == code


def test_status_404_only_on_version(fleet: Fleet) -> None:
    assert get(fleet, "status-404", "/version")[0].status == 404
    assert get(fleet, "status-404", "/api/v1/nodes")[0].status == 200


def test_nodes_403(fleet: Fleet) -> None:
    assert get(fleet, "nodes-403", "/version")[0].status == 200
    response, body = get(fleet, "nodes-403", "/api/v1/nodes?limit=500")
    assert response.status == 403
    assert json.loads(body)["reason"] == "Forbidden"


def test_flaky_503_then_healthy(fleet: Fleet) -> None:
    assert get(fleet, "flaky-503", "/version")[0].status == 503
    assert get(fleet, "flaky-503", "/version")[0].status == 200


def test_html_and_no_version(fleet: Fleet) -> None:
    response, body = get(fleet, "html", "/version")
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/html")
    assert body.lstrip().startswith(b"<!DOCTYPE html>")
    doc = json.loads(get(fleet, "no-version", "/version")[1])
    assert (doc["gitVersion"], doc["major"], doc["minor"]) == ("", "", "")


def test_big_body_is_streamed(fleet: Fleet) -> None:
    conn = connect(fleet, "big-body")
    conn.request("GET", "/version", headers=bearer(fleet, "big-body"))
    response = conn.getresponse()
    assert int(response.getheader("Content-Length") or 0) == BIG_BODY_SIZE
    assert response.read(1024 * 1024).startswith(b'{"major": "1"')
    conn.close()


def test_trickle_sends_one_byte_then_waits(fleet: Fleet) -> None:
    conn = connect(fleet, "trickle", timeout=0.5)
    conn.request("GET", "/version", headers=bearer(fleet, "trickle"))
    response = conn.getresponse()
    assert response.getheader("Content-Length") == "1000"
    assert response.read(1) == b"{"
    with pytest.raises(TimeoutError):
        response.read(10)
    conn.close()


# -- kubeconfig and the real kubernetes client --------------------------------------------


def test_kubectl_loads_the_kubeconfig(fleet: Fleet, kubeconfig: Path) -> None:
    result = subprocess.run(
        ["kubectl", "config", "view", "--kubeconfig", str(kubeconfig), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    view = json.loads(result.stdout)
    assert view["current-context"] == "healthy"
    assert sorted(c["name"] for c in view["contexts"]) == sorted(fleet.names)
    clusters = {c["name"]: c["cluster"]["server"] for c in view["clusters"]}
    assert clusters["healthy"] == fleet.url("healthy")


def test_kubernetes_client_with_its_own_configuration(fleet: Fleet) -> None:
    cfg = kubernetes.client.Configuration()
    cfg.host = fleet.url("healthy")
    cfg.ca_cert_data = fleet.ca_pem("healthy").decode()
    cfg.api_key = {"authorization": f"Bearer {fleet.token('healthy')}"}
    with kubernetes.client.ApiClient(cfg) as api:
        assert kubernetes.client.VersionApi(api).get_code().git_version == "v1.33.7-4"
        nodes = kubernetes.client.CoreV1Api(api).list_node(limit=3)
    assert len(nodes.items) == 3
    assert nodes.metadata is not None and nodes.metadata.var_continue


@pytest.mark.parametrize(
    ("context", "kind"),
    [("healthy", "bearer"), ("certs", "cert"), ("basic", "basic"), ("exec", "bearer")],
)
def test_every_user_kind_through_the_kubeconfig(
    fleet: Fleet, kubeconfig: Path, context: str, kind: str
) -> None:
    before = fleet.auth_kinds(context).get(kind, 0)
    with new_client_from_config(str(kubeconfig), context=context, persist_config=False) as api:
        version = kubernetes.client.VersionApi(api).get_code()
    assert version.git_version == fleet.spec(context).git_version
    assert fleet.auth_kinds(context)[kind] == before + 1


def test_kubeconfig_with_files_and_exec(fleet: Fleet, tmp_path: Path) -> None:
    path = fleet.write_kubeconfig(tmp_path / "kc.yaml", current_context="certs", embed=False)
    doc = yaml.safe_load(path.read_text())
    assert doc["current-context"] == "certs"
    clusters = {c["name"]: c["cluster"] for c in doc["clusters"]}
    users = {u["name"]: u["user"] for u in doc["users"]}
    assert Path(clusters["healthy"]["certificate-authority"]).read_bytes() == fleet.ca_pem(
        "healthy"
    )
    assert Path(users["certs-admin"]["client-certificate"]).is_file()
    exec_config = users["exec-admin"]["exec"]
    assert exec_config["command"] == sys.executable
    assert exec_config["args"][0] == str(EXEC_PLUGIN)
    assert Path(exec_config["args"][0]).is_absolute()
    assert exec_config["interactiveMode"] == "Never"
    assert exec_config["env"] == [{"name": "SIMFLEET_SECRET", "value": fleet.exec_secret("exec")}]
    assert fleet.token("exec") in fleet.sensitive_values()


def test_missing_client_cert_file(tmp_path: Path) -> None:
    with Fleet([ClusterSpec("broken", auth="cert", missing_client_cert=True)], lifetime=10) as f:
        doc = yaml.safe_load(f.write_kubeconfig(tmp_path / "kc").read_text())
    user = doc["users"][0]["user"]
    assert not Path(user["client-certificate"]).exists()
    assert Path(user["client-key"]).exists()


# -- exec plugin -----------------------------------------------------------------------------


def run_plugin(mode: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(EXEC_PLUGIN), "--token", "tok-123", "--mode", mode, *extra]
    return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=10)


def test_exec_plugin_ok(tmp_path: Path) -> None:
    result = run_plugin("ok", tmp_path)
    assert result.returncode == 0
    credential = json.loads(result.stdout)
    assert credential["apiVersion"] == "client.authentication.k8s.io/v1"
    assert credential["kind"] == "ExecCredential"
    assert credential["status"] == {"token": "tok-123"}


def test_exec_plugin_fail_leaks_the_token_to_stderr(tmp_path: Path) -> None:
    result = run_plugin("fail", tmp_path)
    assert result.returncode == 1
    assert "tok-123" in result.stderr
    assert result.stdout == ""


def test_exec_plugin_hang(tmp_path: Path) -> None:
    command = [sys.executable, str(EXEC_PLUGIN), "--token", "t", "--mode", "hang"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=tmp_path)
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.5)
    process.kill()
    process.wait()
    assert run_plugin("hang", tmp_path, "--max-seconds", "0.1").returncode == 1


# -- lifecycle -------------------------------------------------------------------------------


def test_lifetime_stops_the_fleet() -> None:
    fleet = Fleet([ClusterSpec("short")], lifetime=0.3).start()
    port = fleet.port("short")
    assert fleet.wait(timeout=5)
    assert fleet.closed
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    fleet.close()  # after the lifetime, close() is a no-op


def test_close_is_fast_with_hung_connections() -> None:
    specs = [ClusterSpec("hung", failure=Failure.HANG), ClusterSpec("mute", failure="no_tls")]
    fleet = Fleet(specs, lifetime=60).start()
    hung = connect(fleet, "hung", timeout=10)
    hung.request("GET", "/version", headers=bearer(fleet, "hung"))
    mute = socket.create_connection(("127.0.0.1", fleet.port("mute")), timeout=10)
    time.sleep(0.1)  # let the server start waiting on both
    started = time.monotonic()
    fleet.close()
    assert time.monotonic() - started < 2.0
    assert fleet.closed
    fleet.close()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        hung.getresponse()
    assert mute.recv(1) == b""
    hung.close()
    mute.close()


def test_serve_command(tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.json"
    fleet_file.write_text(json.dumps([{"name": "one", "git_version": "v1.32.3"}, {"name": "two"}]))
    ready = tmp_path / "ready.json"
    kubeconfig = tmp_path / "kubeconfig"
    command = [sys.executable, "-m", "simfleet", "serve", "--fleet", str(fleet_file)]
    command += ["--kubeconfig", str(kubeconfig), "--lifetime", "30", "--ready-file", str(ready)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), process.stderr.read() if process.stderr else ""
        assert set(json.loads(ready.read_text())["clusters"]) == {"one", "two"}
        with new_client_from_config(str(kubeconfig), context="one", persist_config=False) as api:
            assert kubernetes.client.VersionApi(api).get_code().git_version == "v1.32.3"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert not ready.exists()
    finally:
        process.kill()
        process.wait()
        if process.stderr:
            process.stderr.close()


# -- fleets and specs ------------------------------------------------------------------------


def test_named_fleets_start_and_write_kubeconfigs(tmp_path: Path) -> None:
    demo = fleets.demo()
    assert demo[0].name == "global"
    assert {s.name for s in demo if s.failure is Failure.REFUSED} == {"legacy-dc"}
    chaos = fleets.chaos()
    assert {s.failure for s in chaos} >= set(Failure)
    for specs in (demo, chaos):
        with Fleet(specs, lifetime=10) as running:
            doc = yaml.safe_load(running.write_kubeconfig(tmp_path / "kc").read_text())
        assert [c["name"] for c in doc["contexts"]] == [s.name for s in specs]
        assert doc["current-context"] == specs[0].name


def test_synthetic_is_deterministic() -> None:
    first = fleets.synthetic(200, seed=7)
    assert first == fleets.synthetic(200, seed=7)
    assert first != fleets.synthetic(200, seed=8)
    assert first[0].name == "c0001" and first[-1].name == "c0200"
    minors = {s.reported_major_minor[1] for s in first}
    assert minors == {str(m) for m in range(29, 35)}


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="unknown failure"):
        ClusterSpec("x", failure="sometimes")
    with pytest.raises(ValueError, match="auth"):
        ClusterSpec("x", auth="kerberos")  # type: ignore[arg-type]
    assert ClusterSpec("x", failure="hang").failure is Failure.HANG
    assert ClusterSpec("x", git_version=None).reported_major_minor == ("", "")
