"""Turn one target's kubeconfig entries into a kubernetes ``ApiClient``.

Every client gets a fresh ``Configuration``: the client's global default configuration is
never read or written, and nothing is ever persisted back to a kubeconfig. Client
certificate data must be files for ``ssl``; they are written to a private temporary
directory that the :class:`ClientFactory` removes when it is closed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from scanner.inputs.kubeconfig import UserEntry
from scanner.inputs.targets import Target
from scanner.kube.credentials import CredentialError, ExecCredential, exec_secrets, run_exec_plugin


class ConfigProblem(Exception):
    """The context cannot be turned into a client (category ``config``)."""


@dataclass(frozen=True)
class Connection:
    """A ready client and the secret values that must be masked in its errors."""

    api_client: Any
    secrets: tuple[str, ...]


class ClientFactory:
    """Builds clients for many targets; caches exec credentials per user for one scan."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._user_locks: dict[str, threading.Lock] = {}
        self._exec_cache: dict[str, ExecCredential | CredentialError] = {}
        self._tmpdir: str | None = None

    def close(self) -> None:
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> ClientFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(self, target: Target) -> Connection:
        from kubernetes import client  # imported lazily: it takes most of start-up time

        if target.problem or target.cluster is None:
            raise ConfigProblem(target.problem or "context has no cluster entry")
        cluster, user = target.cluster, target.user
        config = client.Configuration()
        config.host = cluster.server.rstrip("/")
        # Retries are ours (connection errors and 5xx only); urllib3 must not multiply them.
        config.retries = False
        config.verify_ssl = not cluster.insecure_skip_tls_verify
        if cluster.certificate_authority_data:
            config.ca_cert_data = cluster.certificate_authority_data.decode("utf-8", "replace")
        elif cluster.certificate_authority:
            config.ssl_ca_cert = cluster.certificate_authority
        if cluster.tls_server_name:
            config.tls_server_name = cluster.tls_server_name
        if cluster.proxy_url:
            config.proxy = cluster.proxy_url
        # A context without a user is valid for kubectl: its requests are anonymous.
        secrets = self._apply_user(config, user, target) if user is not None else []
        return Connection(client.ApiClient(configuration=config), tuple(secrets))

    def _apply_user(self, config: Any, user: UserEntry, target: Target) -> list[str]:
        secrets: list[str] = []
        token = user.token
        if user.token_file and not token:
            token = _read_token_file(user.token_file)
        cert_data, key_data = user.client_certificate_data, user.client_key_data
        if user.exec is not None:
            secrets.extend(exec_secrets(user.exec))
            credential = self._exec_credential(user, target)
            token = credential.token or token
            cert_data = credential.client_certificate_data or cert_data
            key_data = credential.client_key_data or key_data
        if token:
            secrets.append(token)
            config.api_key = {"authorization": f"Bearer {token}"}
        elif user.username and user.password:
            secrets.append(user.password)
            basic = base64.b64encode(f"{user.username}:{user.password}".encode()).decode()
            config.api_key = {"authorization": f"Basic {basic}"}
        config.cert_file = self._file_for(cert_data) if cert_data else user.client_certificate
        config.key_file = self._file_for(key_data) if key_data else user.client_key
        return secrets

    def _exec_credential(self, user: UserEntry, target: Target) -> ExecCredential:
        assert user.exec is not None
        key = f"{user.source}\0{user.name}"
        with self._lock:
            user_lock = self._user_locks.setdefault(key, threading.Lock())
        # One plugin run per user and scan: many contexts often share one user.
        with user_lock:
            cached = self._exec_cache.get(key)
            if cached is None:
                try:
                    cached = run_exec_plugin(
                        user.exec, timeout=self._timeout, cluster=target.cluster
                    )
                except CredentialError as exc:
                    cached = exc
                self._exec_cache[key] = cached
        if isinstance(cached, CredentialError):
            raise ConfigProblem(str(cached))
        return cached

    def _file_for(self, data: bytes) -> str:
        with self._lock:
            if self._tmpdir is None:
                self._tmpdir = tempfile.mkdtemp(prefix="upgrade-scanner-")
            path = os.path.join(self._tmpdir, hashlib.sha256(data).hexdigest()[:24] + ".pem")
            if not os.path.exists(path):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
        return path


def _read_token_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise ConfigProblem(f"token file {path}: {exc.strerror}") from None
