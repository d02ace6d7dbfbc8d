"""The kubeconfig a fleet writes: one cluster, user and context per simulated cluster."""

from __future__ import annotations

import base64
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXEC_API_VERSION = "client.authentication.k8s.io/v1"
# The plugin runs by absolute path, so it works whatever the scanner's working directory.
EXEC_PLUGIN = Path(__file__).resolve().with_name("exec_plugin.py")
SECRET_ENV = "SIMFLEET_SECRET"


@dataclass(frozen=True)
class KubeconfigEntry:
    name: str
    server: str
    ca_pem: bytes
    auth: str
    token: str
    username: str
    password: str
    exec_mode: str
    exec_secret: str
    client_cert_pem: bytes
    client_key_pem: bytes
    missing_client_cert: bool


def files_dir_for(path: Path) -> Path:
    """Where CA and client cert files go when they are not embedded: next to the kubeconfig."""
    return path.with_name(path.name + ".d")


def write_kubeconfig(
    path: Path, entries: Sequence[KubeconfigEntry], current_context: str, embed: bool
) -> Path:
    files = files_dir_for(path)
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "current-context": current_context,
        "clusters": [],
        "users": [],
        "contexts": [],
    }
    for entry in entries:
        doc["clusters"].append({"name": entry.name, "cluster": _cluster(entry, embed, files)})
        doc["users"].append({"name": _user_name(entry), "user": _user(entry, embed, files)})
        context = {"cluster": entry.name, "user": _user_name(entry)}
        doc["contexts"].append({"name": entry.name, "context": context})
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: 1,000 clusters in ~0.1 s
    atomic_write(path, yaml.dump(doc, Dumper=dumper, sort_keys=False).encode())
    return path


def _user_name(entry: KubeconfigEntry) -> str:
    return f"{entry.name}-admin"


def _cluster(entry: KubeconfigEntry, embed: bool, files: Path) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": entry.server}
    if embed:
        cluster["certificate-authority-data"] = _b64(entry.ca_pem)
    else:
        cluster["certificate-authority"] = str(_write(files / entry.name / "ca.crt", entry.ca_pem))
    return cluster


def _user(entry: KubeconfigEntry, embed: bool, files: Path) -> dict[str, Any]:
    if entry.auth == "basic":
        return {"username": entry.username, "password": entry.password}
    if entry.auth == "exec":
        return {"exec": _exec(entry, files)}
    if entry.auth == "cert":
        return _cert_user(entry, embed, files)
    return {"token": entry.token}


def _exec(entry: KubeconfigEntry, files: Path) -> dict[str, Any]:
    args = [str(EXEC_PLUGIN), "--token", entry.token, "--mode", entry.exec_mode]
    if entry.exec_mode == "cert":  # the plugin hands out the cluster's client certificate
        folder = files / entry.name
        args += ["--cert-file", str(_write(folder / "exec-client.crt", entry.client_cert_pem))]
        args += ["--key-file", str(_write(folder / "exec-client.key", entry.client_key_pem))]
    return {
        "apiVersion": EXEC_API_VERSION,
        "command": sys.executable,
        "args": args,
        "env": [{"name": SECRET_ENV, "value": entry.exec_secret}],
        "interactiveMode": "Never",
        "provideClusterInfo": False,
    }


def _cert_user(entry: KubeconfigEntry, embed: bool, files: Path) -> dict[str, Any]:
    folder = files / entry.name
    if entry.missing_client_cert:
        # The key is there, the certificate it points at is not: a broken context.
        missing = folder / "client-missing.crt"
        key = _write(folder / "client.key", entry.client_key_pem)
        return {"client-certificate": str(missing), "client-key": str(key)}
    if embed:
        return {
            "client-certificate-data": _b64(entry.client_cert_pem),
            "client-key-data": _b64(entry.client_key_pem),
        }
    return {
        "client-certificate": str(_write(folder / "client.crt", entry.client_cert_pem)),
        "client-key": str(_write(folder / "client.key", entry.client_key_pem)),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    return path.resolve()


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a private temp file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
