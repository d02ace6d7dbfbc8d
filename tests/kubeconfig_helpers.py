"""Writing kubeconfig files and running the real kubectl against them, for tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")


def cluster(name: str, server: str = "https://127.0.0.1:6443", **fields: Any) -> dict[str, Any]:
    """A ``clusters`` item; keyword names use ``_`` for kubectl's ``-``."""
    return {"name": name, "cluster": {"server": server, **_dashed(fields)}}


def user(name: str, **fields: Any) -> dict[str, Any]:
    """A ``users`` item; ``client_key`` becomes ``client-key`` (pass ``tokenFile`` as is)."""
    return {"name": name, "user": _dashed(fields)}


def context(name: str, cluster: str, user: str = "", **fields: Any) -> dict[str, Any]:
    body = {"cluster": cluster, **fields}
    if user:
        body["user"] = user
    return {"name": name, "context": body}


def write_kubeconfig(
    path: Path,
    *,
    clusters: Iterable[Mapping[str, Any]] = (),
    users: Iterable[Mapping[str, Any]] = (),
    contexts: Iterable[Mapping[str, Any]] = (),
    current: str | None = None,
) -> Path:
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    doc["clusters"] = [dict(c) for c in clusters]
    doc["users"] = [dict(u) for u in users]
    doc["contexts"] = [dict(c) for c in contexts]
    if current is not None:
        doc["current-context"] = current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def simple_kubeconfig(path: Path, names: Iterable[str], current: str | None = None) -> Path:
    """One cluster and user per context name, servers ``https://<name>.example:6443``."""
    names = list(names)
    return write_kubeconfig(
        path,
        clusters=[cluster(n, f"https://{n}.example:6443") for n in names],
        users=[user(n, token=f"token-{n}") for n in names],
        contexts=[context(n, n, n) for n in names],
        current=current,
    )


def kubectl(
    args: list[str], *, home: Path, kubeconfig: Iterable[str | Path] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run kubectl with a clean environment: HOME in ``home``, KUBECONFIG the given list."""
    assert KUBECTL is not None
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if kubeconfig is not None:
        env["KUBECONFIG"] = os.pathsep.join(str(p) for p in kubeconfig)
    return subprocess.run(
        [KUBECTL, *args], env=env, cwd=home, capture_output=True, text=True, timeout=60
    )


def kubectl_view(home: Path, kubeconfig: Iterable[str | Path], *extra: str) -> dict[str, Any]:
    result = kubectl(
        ["config", "view", "--raw", "-o", "json", *extra], home=home, kubeconfig=kubeconfig
    )
    assert result.returncode == 0, result.stderr
    view: dict[str, Any] = json.loads(result.stdout)
    return view


def _dashed(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key.replace("_", "-"): value for key, value in fields.items()}
