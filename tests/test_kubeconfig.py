"""Kubeconfig loading: merge and path semantics checked against the real kubectl."""

from __future__ import annotations

import base64
import ctypes
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from scanner.errors import KubeconfigError
from scanner.inputs.kubeconfig import (
    Kubeconfig,
    default_kubeconfig_paths,
    load_kubeconfigs,
    safe_server,
)
from scanner.inputs.yamlfile import MAX_FILE_BYTES
from tests.kubeconfig_helpers import (
    cluster,
    context,
    kubectl,
    kubectl_view,
    needs_kubectl,
    simple_kubeconfig,
    user,
    write_kubeconfig,
)

SECRET = "s3cr3t-value-never-shown"


# --- default paths -----------------------------------------------------------------------


def test_default_paths_follow_kubeconfig_list() -> None:
    value = os.pathsep.join(["a", "", "b", "a", "c", ""])
    assert default_kubeconfig_paths({"KUBECONFIG": value, "HOME": "/h"}) == ("a", "b", "c")


def test_default_paths_fall_back_to_home() -> None:
    assert default_kubeconfig_paths({"HOME": "/h"}) == ("/h/.kube/config",)
    assert default_kubeconfig_paths({"KUBECONFIG": "", "HOME": "/h"}) == ("/h/.kube/config",)


def test_default_paths_all_empty_entries_mean_no_file() -> None:
    # kubectl: KUBECONFIG=":" reads nothing; it does not fall back to ~/.kube/config.
    assert default_kubeconfig_paths({"KUBECONFIG": os.pathsep, "HOME": "/h"}) == ()


# --- merge semantics vs kubectl ----------------------------------------------------------


def _overlapping_files(tmp_path: Path) -> list[Path]:
    a = write_kubeconfig(
        tmp_path / "a.yaml",
        clusters=[cluster("shared", "https://a.example"), cluster("only-a", "https://oa")],
        users=[user("u", token="tok-a")],
        contexts=[context("ctx-a", "shared", "u"), context("common", "only-a", "u")],
        current="ctx-a",
    )
    b = write_kubeconfig(
        tmp_path / "b.yaml",
        clusters=[cluster("shared", "https://b.example", insecure_skip_tls_verify=True)],
        users=[user("u", token="tok-b"), user("ub", token="tok-ub-b")],
        contexts=[context("ctx-b", "shared", "ub"), context("common", "shared", "ub")],
        current="ctx-b",
    )
    c = write_kubeconfig(
        tmp_path / "c.yaml",
        clusters=[cluster("only-c", "https://oc"), cluster("shared", "https://c.example")],
        users=[user("ub", token="tok-ub-c")],
        contexts=[context("ctx-c", "only-c", "ub"), context("ctx-a", "only-c", "ub")],
        current="",  # empty does not count as set, in kubectl
    )
    return [a, b, c]


def _resolved(view: dict, name: str) -> tuple[str, str, str | None, str | None]:
    """(cluster, user, server, token) of a context in a ``kubectl config view`` document."""
    ctx = next(c["context"] for c in view["contexts"] if c["name"] == name)
    clu = next((c["cluster"] for c in view["clusters"] if c["name"] == ctx["cluster"]), {})
    usr = next((u["user"] for u in view["users"] or [] if u["name"] == ctx.get("user")), {})
    return ctx["cluster"], ctx.get("user", ""), clu.get("server"), usr.get("token")


def _ours(config: Kubeconfig, name: str) -> tuple[str, str, str | None, str | None]:
    ctx = config.contexts[name]
    clu, usr = config.clusters.get(ctx.cluster), config.users.get(ctx.user)
    return ctx.cluster, ctx.user, clu and clu.server, usr and usr.token


@needs_kubectl
@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_merge_matches_kubectl(tmp_path: Path, order: list[int]) -> None:
    files = [_overlapping_files(tmp_path)[i] for i in order]
    config = load_kubeconfigs([str(f) for f in files], explicit=False)
    view = kubectl_view(tmp_path, files)
    assert set(config.contexts) == {c["name"] for c in view["contexts"]}
    for name in config.contexts:
        assert _ours(config, name) == _resolved(view, name), name
    current = kubectl(["config", "current-context"], home=tmp_path, kubeconfig=files)
    assert config.current_context == current.stdout.strip()


@needs_kubectl
def test_whole_entry_wins_not_fields(tmp_path: Path) -> None:
    files = _overlapping_files(tmp_path)
    config = load_kubeconfigs([str(f) for f in files], explicit=False)
    view = kubectl_view(tmp_path, files)
    theirs = next(c["cluster"] for c in view["clusters"] if c["name"] == "shared")
    assert config.clusters["shared"].insecure_skip_tls_verify is False
    assert "insecure-skip-tls-verify" not in theirs


@needs_kubectl
def test_missing_file_in_list_is_skipped_like_kubectl(tmp_path: Path) -> None:
    a = simple_kubeconfig(tmp_path / "a.yaml", ["one"], current="one")
    files = [tmp_path / "missing.yaml", a]
    config = load_kubeconfigs([str(f) for f in files], explicit=False)
    assert kubectl(["config", "current-context"], home=tmp_path, kubeconfig=files).returncode == 0
    assert config.current_context == "one"
    assert config.files == (str(a),)
    assert config.skipped == (str(tmp_path / "missing.yaml"),)


@needs_kubectl
def test_missing_explicit_file_is_an_error_like_kubectl(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = kubectl(["--kubeconfig", str(missing), "get", "pods"], home=tmp_path)
    assert result.returncode != 0 and "no such file" in result.stderr
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(missing)], explicit=True)
    assert str(err.value) == f"kubeconfig {missing}: no such file; check the path"


@needs_kubectl
def test_duplicate_names_in_one_file_rejected_like_kubectl(tmp_path: Path) -> None:
    path = write_kubeconfig(
        tmp_path / "dup.yaml",
        clusters=[cluster("k")],
        contexts=[context("c", "k"), context("c", "k", namespace="other")],
    )
    result = kubectl(["config", "view"], home=tmp_path, kubeconfig=[path])
    assert result.returncode != 0 and 'duplicate name "c"' in result.stderr
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(path)], explicit=False)
    assert str(err.value) == (
        f'kubeconfig {path}: contexts[0] and contexts[1] are both named "c"; '
        "kubectl refuses duplicate names in one file too; remove or rename one"
    )


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    a = simple_kubeconfig(tmp_path / "a.yaml", ["one"])
    config = load_kubeconfigs([str(a), str(tmp_path / "." / "a.yaml")], explicit=True)
    assert config.files == (str(a),)


# --- relative paths vs kubectl -----------------------------------------------------------


def _certs_file(directory: Path, label: str) -> Path:
    """A kubeconfig whose certificate paths are relative; file contents name ``label``."""
    (directory / "pki").mkdir(parents=True)
    for name in ("ca.crt", "client.crt", "client.key"):
        (directory / "pki" / name).write_text(f"{label} {name}\n")
    return write_kubeconfig(
        directory / "config",
        clusters=[cluster(f"k-{label}", certificate_authority="pki/ca.crt")],
        users=[
            user(f"u-{label}", client_certificate="pki/client.crt", client_key="pki/client.key")
        ],
        contexts=[context(f"c-{label}", f"k-{label}", f"u-{label}")],
    )


@needs_kubectl
def test_relative_certificate_paths_match_kubectl_flatten(tmp_path: Path) -> None:
    files = [_certs_file(tmp_path / "one", "one"), _certs_file(tmp_path / "two" / "sub", "two")]
    config = load_kubeconfigs([str(f) for f in files], explicit=False)
    # --flatten embeds each referenced file, read from the path kubectl resolved.
    view = kubectl_view(tmp_path, files, "--flatten")
    for item in view["clusters"]:
        ours = config.clusters[item["name"]].certificate_authority
        assert ours is not None and os.path.isabs(ours)
        assert Path(ours).read_bytes() == base64.b64decode(
            item["cluster"]["certificate-authority-data"]
        )
    for item in view["users"]:
        entry = config.users[item["name"]]
        for path, key in ((entry.client_certificate, "client-certificate-data"),
                          (entry.client_key, "client-key-data")):  # fmt: skip
            assert path is not None
            assert Path(path).read_bytes() == base64.b64decode(item["user"][key])


class _AuthRecorder(http.server.BaseHTTPRequestHandler):
    """Answers /version and remembers the Authorization header kubectl sent."""

    seen: list[str | None] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        body = json.dumps({"major": "1", "minor": "31", "gitVersion": "v1.31.0"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server() -> Iterator[tuple[str, list[str | None]]]:
    """A local HTTPS server (kubectl sends bearer tokens only over TLS)."""
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    seen: list[str | None] = []
    handler = type("Recorder", (_AuthRecorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@needs_kubectl
def test_token_file_and_exec_command_resolved_like_kubectl(
    tmp_path: Path, https_server: tuple[str, list[str | None]]
) -> None:
    url, seen = https_server
    base = tmp_path / "cfg"
    (base / "bin").mkdir(parents=True)
    (base / "token").write_text("token-from-cfg-dir\n")
    plugin = base / "bin" / "plugin"
    # The plugin's token is its own path, so the header shows which file kubectl ran.
    status = '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
    plugin.write_text(f'#!/bin/sh\necho \'{status}"status":{{"token":"\'"$0"\'"}}}}\'\n')
    plugin.chmod(0o755)
    exec_block = {"command": "./bin/plugin", "apiVersion": "client.authentication.k8s.io/v1",
                  "interactiveMode": "Never"}  # fmt: skip
    path = write_kubeconfig(
        base / "config",
        clusters=[cluster("k", url, insecure_skip_tls_verify=True)],
        users=[user("file", tokenFile="token"), user("plugin", exec=exec_block)],
        contexts=[context("file", "k", "file"), context("plugin", "k", "plugin")],
    )
    for name in ("file", "plugin"):
        args = ["--context", name, "get", "--raw", "/version"]
        result = kubectl(args, home=tmp_path, kubeconfig=[path])
        assert result.returncode == 0, result.stderr
    config = load_kubeconfigs([str(path)], explicit=True)
    token_file, exec_config = config.users["file"].token_file, config.users["plugin"].exec
    assert token_file is not None and exec_config is not None
    # kubectl may repeat a request; what matters is which credentials it sent.
    assert list(dict.fromkeys(seen)) == [
        f"Bearer {Path(token_file).read_text().strip()}",
        f"Bearer {exec_config.command}",
    ]


def test_bare_exec_command_is_left_for_path_lookup(tmp_path: Path) -> None:
    exec_block = {
        "command": "gke-gcloud-auth-plugin",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
    }
    path = write_kubeconfig(tmp_path / "c", users=[user("u", exec=exec_block)])
    entry = load_kubeconfigs([str(path)], explicit=True).users["u"]
    assert entry.exec is not None and entry.exec.command == "gke-gcloud-auth-plugin"
    assert entry.exec.interactive_mode == "IfAvailable" and entry.invalid is None


# --- fields ------------------------------------------------------------------------------


def test_fields_and_data_are_parsed(tmp_path: Path) -> None:
    exec_block = {
        "command": "/usr/bin/plugin",
        "args": ["get-token"],
        "env": [{"name": "AWS_PROFILE", "value": SECRET}],
        "apiVersion": "client.authentication.k8s.io/v1",
        "interactiveMode": "Never",
        "provideClusterInfo": True,
        "installHint": "install it",
    }
    path = write_kubeconfig(
        tmp_path / "c",
        clusters=[cluster("k", "https://x", tls_server_name="api", proxy_url="http://proxy:3128",
                          certificate_authority_data=base64.b64encode(b"CA").decode())],
        users=[user("u", exec=exec_block, client_key_data=base64.b64encode(b"KEY").decode()),
               user("old", **{"auth-provider": {"name": "oidc", "config": {"id-token": SECRET}}})],
    )  # fmt: skip
    config = load_kubeconfigs([str(path)], explicit=True)
    clu, usr = config.clusters["k"], config.users["u"]
    assert (clu.tls_server_name, clu.proxy_url, clu.certificate_authority_data) == (
        "api", "http://proxy:3128", b"CA")  # fmt: skip
    assert usr.client_key_data == b"KEY" and usr.exec is not None
    assert usr.exec.env == (("AWS_PROFILE", SECRET),) and usr.exec.args == ("get-token",)
    assert usr.exec.provide_cluster_info and usr.exec.interactive_mode == "Never"
    assert config.users["old"].auth_provider == "oidc"
    assert SECRET not in repr(config)


def test_invalid_base64_marks_only_that_entry(tmp_path: Path) -> None:
    path = write_kubeconfig(
        tmp_path / "c",
        clusters=[cluster("bad", certificate_authority_data="!!" + SECRET), cluster("good")],
        users=[user("u", client_certificate_data="not base64", client_key_data=SECRET)],
    )
    config = load_kubeconfigs([str(path)], explicit=True)
    assert config.clusters["bad"].invalid == "certificate-authority-data is not valid base64"
    assert config.clusters["good"].invalid is None
    assert config.users["u"].invalid == (
        "client-certificate-data is not valid base64; client-key-data is not valid base64"
    )


def test_base64_with_line_breaks_is_accepted(tmp_path: Path) -> None:
    wrapped = base64.encodebytes(b"x" * 100).decode()  # 76-column lines, like many tools
    path = write_kubeconfig(
        tmp_path / "c", clusters=[cluster("k", certificate_authority_data=wrapped)]
    )
    assert (
        load_kubeconfigs([str(path)], explicit=True).clusters["k"].certificate_authority_data
        == b"x" * 100
    )


@pytest.mark.parametrize(
    ("exec_block", "invalid"),
    [
        ({"apiVersion": "client.authentication.k8s.io/v1", "interactiveMode": "Never"},
         "exec has no command"),
        ({"command": "p"}, "exec has no apiVersion"),
        ({"command": "p", "apiVersion": "client.authentication.k8s.io/v1"},
         "exec has no interactiveMode"),
        ({"command": "p", "apiVersion": "client.authentication.k8s.io/v1beta1",
          "interactiveMode": "Sometimes"},
         "exec interactiveMode must be one of Never, IfAvailable, Always"),
    ],
)  # fmt: skip
def test_unusable_exec_marks_the_user(tmp_path: Path, exec_block: dict, invalid: str) -> None:
    # Each of these is refused by kubectl when the context is used.
    path = write_kubeconfig(tmp_path / "c", users=[user("u", exec=exec_block)])
    assert load_kubeconfigs([str(path)], explicit=True).users["u"].invalid == invalid


@pytest.mark.parametrize("text", ["", "# only a comment\n", "null\n", "---\n"])
def test_empty_file_is_an_empty_config(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty"
    path.write_text(text)
    config = load_kubeconfigs([str(path)], explicit=True)
    assert (dict(config.contexts), config.current_context, config.files) == ({}, None, (str(path),))


def test_json_kubeconfig_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    doc = {"clusters": [cluster("k", "https://j")], "contexts": [context("c", "k")]}
    path.write_text(json.dumps(doc))
    assert load_kubeconfigs([str(path)], explicit=True).clusters["k"].server == "https://j"


# --- errors ------------------------------------------------------------------------------

FIX = "fix the file or pass another with --kubeconfig"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("clusters:\n  - name: [\n",
         "not valid YAML (line 3, column 1: did not find expected node content)"),
        ("- a\n- b\n", "the top level is a list, not a mapping"),
        ("just text\n", "the top level is a string, not a mapping"),
        ("clusters:\n  k: {server: x}\n", '"clusters" is a mapping, not a list of named entries'),
        ("users: token\n", '"users" is a string, not a list of named entries'),
        ("contexts:\n- just-a-name\n", "contexts[0] is a string, not a mapping"),
        ("clusters:\n- cluster: {server: x}\n", "clusters[0] has no name; give every entry a name"),
        ("users:\n- name: ''\n  user: {}\n", "users[0] has no name; give every entry a name"),
        ("clusters:\n- name: 5\n", "clusters[0].name is a number, not a string"),
        ("clusters:\n- name: k\n  cluster: [1]\n",
         'clusters[0] "k": cluster is a list, not a mapping'),
        ("clusters:\n- name: k\n  cluster: {server: 6443}\n",
         'clusters[0] "k".cluster: server is a number, not a string'),
        ("clusters:\n- name: k\n  cluster: {insecure-skip-tls-verify: 'yes'}\n",
         'clusters[0] "k".cluster: insecure-skip-tls-verify is a string, not true or false'),
        ("users:\n- name: u\n  user: {exec: {command: p, args: [1]}}\n",
         'users[0] "u".user.exec: args holds a number, not a string'),
        ("users:\n- name: u\n  user: {exec: {command: p, env: [x]}}\n",
         'users[0] "u".user.exec: env[0] is a string, not a mapping'),
        (f"users:\n- name: u\n  user: {{token: [{SECRET}]}}\n",
         'users[0] "u".user: token is a list, not a string'),
        ("current-context: [a]\n", "top level: current-context is a list, not a string"),
    ],
)  # fmt: skip
def test_malformed_file_messages(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(path)], explicit=False)
    expected = problem if "; " in problem else f"{problem}; {FIX}"
    assert str(err.value) == f"kubeconfig {path}: {expected}"


def test_yaml_error_never_quotes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(f"users:\n- name: u\n  user:\n    token: {SECRET}\n   bad: [\n")
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(path)], explicit=True)
    message = str(err.value)
    assert SECRET not in message and "\n" not in message
    assert message.startswith(f"kubeconfig {path}: not valid YAML (line 5, column 4: ")


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(path)], explicit=True)
    assert str(err.value) == (
        f"kubeconfig {path}: binary data, not a YAML text file; pass the right file"
    )


def test_huge_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "config"
    line = b"# " + b"x" * 1021 + b"\n"
    with path.open("wb") as handle:
        for _ in range(65 * 1024):  # 65 MiB of comments: valid YAML, slow to parse
            handle.write(line)
    started = time.monotonic()
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(path)], explicit=False)
    assert time.monotonic() - started < 1.0
    assert str(err.value) == (
        f"kubeconfig {path}: larger than the 64 MiB limit; pass the right file"
    )
    assert MAX_FILE_BYTES == 64 * 1024 * 1024


def test_directory_is_refused_even_from_the_env_list(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(tmp_path)], explicit=False)
    assert (
        str(err.value) == f"kubeconfig {tmp_path}: is a directory, not a file; pass the file itself"
    )


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    """A file the user may not read. Root reads any file (CAP_DAC_OVERRIDE), so as root (CI)
    the load runs in a child process whose capability bounding set has lost the two
    capabilities that bypass file permissions: it is refused as any other user would be."""
    path = simple_kubeconfig(tmp_path / "config", ["one"])
    path.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(KubeconfigError) as err:
            load_kubeconfigs([str(path)], explicit=False)
        message = str(err.value)
    else:
        message = _load_without_dac_override(path)
    assert message == f"kubeconfig {path}: cannot be read (Permission denied); {FIX}"


def _load_without_dac_override(path: Path) -> str:
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, dac_override, dac_read_search = 24, 1, 2

    def drop_capabilities() -> None:
        for capability in (dac_override, dac_read_search):
            if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    code = (
        "import sys\n"
        "from scanner.errors import KubeconfigError\n"
        "from scanner.inputs.kubeconfig import load_kubeconfigs\n"
        "try:\n"
        "    load_kubeconfigs([sys.argv[1]], explicit=False)\n"
        "except KubeconfigError as exc:\n"
        "    print(exc)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            preexec_fn=drop_capabilities,
            check=False,
            timeout=60,
        )
    except subprocess.SubprocessError as exc:  # prctl refused: no way to be an unprivileged reader
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here: {exc}")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_path_through_a_file_is_refused(tmp_path: Path) -> None:
    blocker = simple_kubeconfig(tmp_path / "config", ["one"])
    path = blocker / "nested"
    with pytest.raises(KubeconfigError) as err:
        load_kubeconfigs([str(path)], explicit=True)
    assert str(err.value) == f"kubeconfig {path}: cannot be read (Not a directory); {FIX}"


# --- display -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://api.example:6443", "https://api.example:6443"),
        ("https://admin:pw@api.example:6443/k8s?token=abc#frag", "https://api.example:6443/k8s"),
        ("https://u:p/a?s#s@api.example", "https://api.example"),
        ("api.example:6443?x=1", "api.example:6443"),
        ("", ""),
    ],
)
def test_safe_server(url: str, safe: str) -> None:
    assert safe_server(url) == safe
