"""Exec credential plugins, run by the scanner itself under a timeout.

The Python client runs exec plugins without a timeout and, when one fails, logs the error
and sends the request anonymously. The scanner runs the plugin here instead, so a plugin
that fails, hangs or prints nonsense makes that cluster ``UNKNOWN``/``config`` with the
plugin's stderr (secrets removed), and no anonymous request is ever sent in its place.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from typing import Any

from scanner.inputs.kubeconfig import ClusterEntry, ExecConfig
from scanner.secrets import KNOWN, scrub

STDOUT_LIMIT = 1 << 20  # an ExecCredential is a few KB; a plugin printing more is broken
STDERR_KEPT = 64 << 10  # the end of stderr is what names the problem


class CredentialError(Exception):
    """An exec plugin failed; the message is already free of secrets."""


@dataclass(frozen=True)
class ExecCredential:
    token: str | None = field(default=None, repr=False)
    client_certificate_data: bytes | None = field(default=None, repr=False)
    client_key_data: bytes | None = field(default=None, repr=False)


def exec_secrets(config: ExecConfig) -> list[str]:
    """Values that must never be shown: env values and arguments after secret-ish flags."""
    return config.secrets


def run_exec_plugin(
    config: ExecConfig, *, timeout: float, cluster: ClusterEntry | None
) -> ExecCredential:
    """Run the plugin once; raise :class:`CredentialError` on any failure."""
    secrets = exec_secrets(config)
    name = os.path.basename(config.command)
    if config.interactive_mode == "Always":
        # As kubectl without a terminal: the plugin is not run. The scanner never gives a
        # plugin a terminal (clusters are scanned at once, stdin is /dev/null).
        raise CredentialError(
            f"exec plugin {name!r} cannot support interactive mode: standard input is not a "
            "terminal (interactiveMode: Always; log in with the plugin first, or set "
            "interactiveMode: IfAvailable)"
        )
    env = dict(os.environ)
    env.update(dict(config.env))
    env["KUBERNETES_EXEC_INFO"] = json.dumps(_exec_info(config, cluster))
    try:
        process = subprocess.Popen(
            [config.command, *config.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # so a timeout kills the plugin's children too
        )
    except FileNotFoundError:
        hint = f" ({scrub(config.install_hint, secrets)})" if config.install_hint else ""
        raise CredentialError(f"exec plugin {name!r} not found{hint}") from None
    except OSError as exc:
        raise CredentialError(f"exec plugin {name!r} could not start: {exc.strerror}") from None
    try:
        stdout, stderr = _bounded_output(process, timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise CredentialError(
            f"exec plugin {name!r} did not finish within {timeout:g}s (--timeout)"
        ) from None
    except _TooMuchOutput:
        _kill_group(process)
        raise CredentialError(
            f"exec plugin {name!r} printed more than {STDOUT_LIMIT >> 20} MiB on stdout: not an "
            "ExecCredential"
        ) from None
    if process.returncode != 0:
        detail = _last_lines(stderr.decode("utf-8", "replace"))
        raise CredentialError(
            f"exec plugin {name!r} exited {process.returncode}: "
            + (scrub(detail, secrets) or "no error output")
        )
    return _parse_credential(stdout, name)


class _TooMuchOutput(Exception):
    pass


def _bounded_output(process: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes]:
    """stdout (at most ``STDOUT_LIMIT``) and the end of stderr, read until both close or
    ``timeout`` passes: a plugin printing without end is stopped, never held in memory."""
    import selectors
    import time

    assert process.stdout is not None and process.stderr is not None
    deadline = time.monotonic() + timeout
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, out)
        selector.register(process.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(process.args, timeout)
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if key.data is out and len(out) > STDOUT_LIMIT:
                    raise _TooMuchOutput()
                if key.data is err and len(err) > 2 * STDERR_KEPT:
                    del err[:-STDERR_KEPT]
    try:
        process.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise subprocess.TimeoutExpired(process.args, timeout) from None
    finally:
        for stream in (process.stdout, process.stderr):
            stream.close()
    return bytes(out), bytes(err)


def _exec_info(config: ExecConfig, cluster: ClusterEntry | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"interactive": False}
    if config.provide_cluster_info and cluster is not None:
        info: dict[str, Any] = {"server": cluster.server}
        if cluster.certificate_authority_data:
            info["certificate-authority-data"] = base64.b64encode(
                cluster.certificate_authority_data
            ).decode()
        if cluster.insecure_skip_tls_verify:
            info["insecure-skip-tls-verify"] = True
        spec["cluster"] = info
    return {"apiVersion": config.api_version, "kind": "ExecCredential", "spec": spec}


def _parse_credential(stdout: bytes, name: str) -> ExecCredential:
    try:
        document = json.loads(stdout)
    except ValueError:
        raise CredentialError(f"exec plugin {name!r} did not print ExecCredential JSON") from None
    status = document.get("status") if isinstance(document, dict) else None
    if not isinstance(status, dict):
        raise CredentialError(f"exec plugin {name!r} printed an ExecCredential without status")
    token = status.get("token")
    cert = status.get("clientCertificateData")
    key = status.get("clientKeyData")
    if isinstance(token, str) and token:
        KNOWN.add(token)
        return ExecCredential(token=token)
    if isinstance(cert, str) and isinstance(key, str) and cert and key:
        KNOWN.add(key)
        return ExecCredential(client_certificate_data=cert.encode(), client_key_data=key.encode())
    raise CredentialError(
        f"exec plugin {name!r} returned neither a token nor a client certificate and key"
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=2)


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])[:500]
