"""Hardening, round two: each class of failure found by trying the scanner as a new user
would, with a test that failed before its fix."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import scanner.inputs.yamlfile
from scanner.inputs.selection import Selection, select
from scanner.inputs.targets import Target
from scanner.kube.client import TMP_PREFIX, ClientFactory, remove_stale_dirs
from scanner.model import Role
from simfleet import ClusterSpec, Fleet
from tests.conftest import RunningFleet

CONTROL = ("\x1b", "\r", "\x07", "\x9b", "\x00")
LONG_VERSION = "v1.33.1-" + "x" * 100_000


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Fleet, Path]]:
    specs = [
        ClusterSpec("global", git_version="v1.33.7-4"),
        ClusterSpec("long", git_version=LONG_VERSION),
        ClusterSpec("ok", git_version="v1.33.1"),
    ]
    with Fleet(specs, lifetime=240) as running:
        path = running.write_kubeconfig(tmp_path_factory.mktemp("hard") / "kc.yaml")
        yield running, path


def _edit(path: Path, out: Path, edit: Any) -> Path:
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    out.write_text(yaml.safe_dump(doc))
    return out


def _user(doc: dict[str, Any], context: str) -> dict[str, Any]:
    name = next(c["context"]["user"] for c in doc["contexts"] if c["name"] == context)
    user: dict[str, Any] = next(u["user"] for u in doc["users"] if u["name"] == name)
    return user


def _rename(doc: dict[str, Any], old: str, new: str) -> None:
    for item in doc["contexts"]:
        if item["name"] == old:
            item["name"] = new


def test_token_with_a_line_break_is_a_config_error_before_any_connection(
    cli: Any, fleet: tuple[Fleet, Path], tmp_path: Path
) -> None:
    running, path = fleet
    token = "s3cr3t-token-value\r\nX-Injected: yes"
    edited = _edit(path, tmp_path / "kc.yaml", lambda d: _user(d, "ok").update(token=token))
    before = running.requests("ok")
    report_path = str(tmp_path / "r.json")
    result = cli("scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(edited),
                 "--context", "ok", "--json", report_path, "-v", "--no-progress")  # fmt: skip
    report = json.loads((tmp_path / "r.json").read_text())
    ok = next(c for c in report["clusters"] if c["context"] == "ok")
    assert ok["status"] == "UNKNOWN" and ok["error"]["category"] == "config"
    assert "control character" in ok["error"]["message"] and "\n" not in ok["error"]["message"]
    assert running.requests("ok") == before  # refused before connecting, as kubectl does
    for text in (result.out, result.err, (tmp_path / "r.json").read_text()):
        assert "s3cr3t-token-value" not in text


def test_control_characters_never_reach_the_terminal(
    cli: Any, fleet: tuple[Fleet, Path], tmp_path: Path
) -> None:
    _, path = fleet
    hostile = "ansi-\x1b[31mRED\x07\x9b2J"
    edited = _edit(path, tmp_path / "kc.yaml", lambda d: _rename(d, "ok", hostile))
    scan = cli("scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(edited), "-v",
               "--no-progress", "--no-discovery")  # fmt: skip
    missing = cli(
        "scan", "--target", "4.3", "--kubeconfig", str(edited), "--global-context", "nope"
    )
    listed = cli("contexts", "--kubeconfig", str(edited))
    assert missing.code == 2 and "available:" in missing.err
    for result in (scan, missing, listed):
        for text in (result.out, result.err):
            assert not any(ch in text for ch in CONTROL), repr(text[:300])
    assert "ansi-?[31mRED??2J" in scan.out


def test_a_huge_git_version_is_clipped_on_the_terminal_and_in_markdown_only(
    cli: Any, fleet: tuple[Fleet, Path], tmp_path: Path
) -> None:
    _, path = fleet
    result = cli("scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(path),
                 "--no-progress", "--no-discovery", "--json", str(tmp_path / "r.json"),
                 "--markdown", str(tmp_path / "r.md"))  # fmt: skip
    assert max(len(line) for line in result.out.splitlines()) < 300
    assert "…" in result.out
    table = [line for line in (tmp_path / "r.md").read_text().splitlines() if "| long |" in line]
    assert table and all(len(line) < 2_000 for line in table)
    report = json.loads((tmp_path / "r.json").read_text())
    long = next(c for c in report["clusters"] if c["context"] == "long")
    assert long["version"]["git_version"] == LONG_VERSION


def _pem_user_kubeconfig(path: Path, tmp_path: Path, key: Path, cert: Path) -> Path:
    def edit(doc: dict[str, Any]) -> None:
        _user(doc, "ok").clear()
        _user(doc, "ok").update({"client-certificate": str(cert), "client-key": str(key)})

    return _edit(path, tmp_path / "kc.yaml", edit)


@pytest.mark.parametrize("broken", ["key", "cert"])
def test_a_key_or_certificate_file_without_pem_is_a_config_error(
    cli: Any, fleet: tuple[Fleet, Path], tmp_path: Path, broken: str
) -> None:
    running, path = fleet
    key, cert = tmp_path / "client.key", tmp_path / "client.crt"
    key.write_text("not a key\n" if broken == "key" else "-----BEGIN PRIVATE KEY-----\nx\n")
    cert.write_text("not a cert\n" if broken == "cert" else "-----BEGIN CERTIFICATE-----\nx\n")
    edited = _pem_user_kubeconfig(path, tmp_path, key, cert)
    before = running.requests("ok")
    cli("scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(edited), "--context",
        "ok", "--no-discovery", "--json", str(tmp_path / "r.json"))  # fmt: skip
    ok = next(c for c in json.loads((tmp_path / "r.json").read_text())["clusters"]
              if c["context"] == "ok")  # fmt: skip
    assert ok["error"]["category"] == "config"
    assert "failed to find any PEM data" in ok["error"]["message"]
    assert str(key if broken == "key" else "client-certificate") in ok["error"]["message"] or (
        "client-key" in ok["error"]["message"]
    )
    assert running.requests("ok") == before


def test_an_unreadable_key_file_is_a_config_error(tmp_path: Path) -> None:
    from scanner.inputs.kubeconfig import ClusterEntry, UserEntry
    from scanner.kube.client import ConfigProblem

    key = tmp_path / "gone.key"  # as root every file is readable: a missing one stands in
    user = UserEntry("u", "kc.yaml", client_certificate=str(key), client_key=str(key))
    cluster = ClusterEntry("c", "https://127.0.0.1:1", "kc.yaml")
    target = Target("c", Role.WORKLOAD, "c", cluster=cluster, user=user)
    with ClientFactory(2) as factory, pytest.raises(ConfigProblem, match="cannot be read"):
        factory.build(target)


def test_client_key_material_never_touches_the_disk(tmp_path: Path, monkeypatch: Any) -> None:
    from scanner.inputs.kubeconfig import ClusterEntry, UserEntry

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    import trustme

    issued = trustme.CA().issue_cert("client.example")
    pem = issued.cert_chain_pems[0].bytes()
    key = issued.private_key_pem.bytes()
    user = UserEntry("u", "kc", client_certificate_data=pem, client_key_data=key)
    cluster = ClusterEntry("c", "https://127.0.0.1:1", "kc")
    target = Target("c", Role.WORKLOAD, "c", cluster=cluster, user=user)
    with ClientFactory(2) as factory:
        endpoint = factory.build(target)
        assert endpoint.ssl is not None  # the client certificate is loaded into the context
        # ssl loaded the key from an anonymous memory file (the factory's own record).
        paths = list(factory._files.values())
        assert paths and all(p.startswith(f"/proc/{os.getpid()}/fd/") for p in paths)
        assert key in {Path(p).read_bytes() for p in paths}
        assert list(tmp_path.iterdir()) == []  # nothing on disk, even while the scan runs


def test_stale_key_directories_of_dead_scans_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f"{TMP_PREFIX}999999999-abc"
    dead.mkdir()
    (dead / "k.pem").write_text("key")
    alive = tmp_path / f"{TMP_PREFIX}{os.getpid()}-abc"
    alive.mkdir()
    other = tmp_path / "unrelated"
    other.mkdir()
    assert remove_stale_dirs(str(tmp_path)) == [str(dead)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, "unrelated"])


def test_output_dir_that_cannot_be_written_is_an_input_error(
    cli: Any, fleet: tuple[Fleet, Path], tmp_path: Path
) -> None:
    _, path = fleet
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli("scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(path),
                 "--output-dir", str(blocker / "reports"))  # fmt: skip
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and "--output-dir" in result.err


def test_a_fifo_kubeconfig_without_a_writer_fails_in_bounded_time(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner.inputs.yamlfile, "FIFO_WAIT_SECONDS", 0.5)
    fifo = tmp_path / "kc.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = cli("contexts", "--kubeconfig", str(fifo))
    assert result.code == 2 and "pipe" in result.err and result.err.count("\n") == 1
    assert time.monotonic() - started < 5


def test_a_fifo_with_a_writer_is_read_like_process_substitution(
    cli: Any, fleet: tuple[Fleet, Path], tmp_path: Path
) -> None:
    _, path = fleet
    fifo = tmp_path / "kc.fifo"
    os.mkfifo(fifo)
    data = path.read_bytes()

    def writer() -> None:
        time.sleep(0.2)  # the reader is already waiting, as with <(cat kc)
        with open(fifo, "wb") as handle:
            handle.write(data)

    thread = threading.Thread(target=writer)
    thread.start()
    result = cli("contexts", "--kubeconfig", str(fifo))
    thread.join()
    assert result.code == 0 and "global" in result.out


@pytest.mark.parametrize(("umask", "mode"), [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)])
def test_reports_follow_the_umask(
    cli: Any, fleet: tuple[Fleet, Path], tmp_path: Path, umask: int, mode: int
) -> None:
    _, path = fleet
    old = os.umask(umask)
    try:
        cli("scan", "--target", "4.3", "--from", "4.2", "--kubeconfig", str(path), "--context",
            "ok", "--no-discovery", "--json", str(tmp_path / "r.json"),
            "--metrics-file", str(tmp_path / "m.prom"))  # fmt: skip
    finally:
        os.umask(old)
    for name in ("r.json", "m.prom"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n",
        "a:\n  b:\n    c: [1, [2, {d: 3}]]\n",
        "- - - - x\n",
        "k:\n- a\n- b:\n  - c\n",
        '{"clusters": [{"name": "x", "cluster": {"server": "https://h"}}]}\n',
        "s: |\n      indented text is not nesting\n",
        "a: '[[[[ quoted ]]]]'\n",
    ],
)
def test_the_cheap_nesting_bound_never_undercounts(text: str) -> None:
    """The text-only bound lets a large kubeconfig skip the event pass; it must never be
    below the real depth, or a deeply nested file would reach the constructor."""
    from scanner.inputs.yamlfile import nesting_bound, nesting_depth

    assert nesting_bound(text) >= nesting_depth(text)


@settings(max_examples=300, deadline=None)
@given(
    value=st.recursive(
        st.one_of(st.integers(), st.text(max_size=8)),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(max_size=4), children, max_size=3),
        ),
        max_leaves=30,
    ),
    flow=st.booleans(),
)
def test_the_nesting_bound_holds_for_any_document(value: object, flow: bool) -> None:
    from scanner.inputs.yamlfile import nesting_bound, nesting_depth

    text = yaml.safe_dump(value, default_flow_style=flow)
    assert nesting_bound(text) >= nesting_depth(text)


def test_tls_settings_are_loaded_once_per_ca(demo_fleet: RunningFleet, tmp_path: Path) -> None:
    """One TLS context per CA and client certificate, shared by every cluster that has them
    (loading a CA is the costly part of setting up a handshake); TLS material that cannot be
    loaded is a TLS error of that cluster."""
    from dataclasses import replace

    from scanner.kube.errors import FetchError
    from scanner.model import ErrorCategory

    targets = select(Selection(kubeconfigs=(str(demo_fleet.kubeconfig),)))
    with ClientFactory(2) as factory:
        first, second = (factory.build(t) for t in targets[:2])
        assert first.ssl is not None and first.ssl is factory.build(targets[0]).ssl
        assert first.ssl is not second.ssl  # the demo fleet gives every cluster its own CA
        cluster = targets[0].cluster
        assert cluster is not None
        broken = replace(cluster, certificate_authority_data=b"-----BEGIN CERTIFICATE-----\nno\n")
        with pytest.raises(FetchError) as caught:
            factory.build(replace(targets[0], cluster=broken))
        assert caught.value.category is ErrorCategory.TLS
