"""Turn one target's kubeconfig entries into a kubernetes ``ApiClient``.

Every client gets a fresh ``Configuration``: the client's global default configuration is
never read or written, and nothing is ever persisted back to a kubeconfig. Client
certificate data must be files for ``ssl``; they are written to a private temporary
directory that the :class:`ClientFactory` removes when it is closed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scanner.inputs.kubeconfig import UserEntry
from scanner.inputs.targets import Target
from scanner.kube.credentials import CredentialError, ExecCredential, exec_secrets, run_exec_plugin
from scanner.processes import alive

TMP_PREFIX = "upgrade-scanner-"


class ConfigProblem(Exception):
    """The context cannot be turned into a client (category ``config``)."""


@dataclass(frozen=True)
class Connection:
    """A ready client and the secret values that must be masked in its errors."""

    api_client: Any
    secrets: tuple[str, ...]
    prefix: str = ""  # prepended to every request path (a cluster behind the platform proxy)
    shared: bool = False  # pooled by the factory for many targets: only the factory closes it


class ClientFactory:
    """Builds clients for many targets; caches exec credentials per user for one scan."""

    def __init__(self, timeout: float, pool_size: int = 32) -> None:
        self._timeout = timeout
        self._pool_size = pool_size
        # Targets behind the platform proxy share one server, credential and CA: one client
        # (one urllib3 pool, so kept-alive TLS connections) per such combination.
        self._shared: dict[tuple[Any, ...], Connection] = {}
        self._lock = threading.Lock()
        self._user_locks: dict[str, threading.Lock] = {}
        self._exec_cache: dict[str, ExecCredential | CredentialError] = {}
        self._tmpdir: str | None = None
        self._files: dict[str, str] = {}  # sha256 of key material -> the path ssl loads

    def close(self) -> None:
        with self._lock:
            for connection in self._shared.values():
                with contextlib.suppress(Exception):
                    connection.api_client.close()
            self._shared.clear()
            for path in self._files.values():
                if path.startswith("/proc/"):
                    with contextlib.suppress(OSError, ValueError):
                        os.close(int(path.rsplit("/", 1)[1]))
            self._files.clear()
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
                self._tmpdir = None

    def __enter__(self) -> ClientFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(self, target: Target) -> Connection:
        if target.problem or target.cluster is None:
            raise ConfigProblem(target.problem or "context has no cluster entry")
        if not target.api_prefix:
            return self._build(target)
        key = _pool_key(target)
        with self._lock:
            user_lock = self._user_locks.setdefault(f"pool\0{key!r}", threading.Lock())
        with user_lock:
            connection = self._shared.get(key)
            if connection is None:
                built = self._build(target, pool_size=self._pool_size)
                connection = Connection(built.api_client, built.secrets, shared=True)
                with self._lock:
                    self._shared[key] = connection
        return Connection(connection.api_client, connection.secrets, target.api_prefix, True)

    def _build(self, target: Target, pool_size: int | None = None) -> Connection:
        from kubernetes import client  # imported lazily: it takes most of start-up time

        cluster, user = target.cluster, target.user
        assert cluster is not None
        # kubectl sends requests to the server URL without its query or fragment. A proxy
        # and no_proxy given here keep the client from reading the proxy environment itself
        # (twice per client: about a tenth of a large scan's CPU); proxy_for decides below.
        config = client.Configuration(host=request_base(cluster.server), proxy="", no_proxy="")
        # Retries are ours (connection errors and 5xx only); urllib3 must not multiply them.
        config.retries = False
        config.verify_ssl = not cluster.insecure_skip_tls_verify
        if cluster.certificate_authority_data:
            config.ca_cert_data = cluster.certificate_authority_data.decode("utf-8", "replace")
        elif cluster.certificate_authority:
            config.ssl_ca_cert = cluster.certificate_authority
        if cluster.tls_server_name:
            config.tls_server_name = cluster.tls_server_name
        config.proxy = proxy_for(config.host, cluster.proxy_url, os.environ)
        config.no_proxy = ""  # NO_PROXY is applied by proxy_for, with Go's loopback rule
        if pool_size:
            config.connection_pool_maxsize = pool_size
        # A context without a user is valid for kubectl: its requests are anonymous.
        secrets = self._apply_user(config, user, target) if user is not None else []
        api_client = client.ApiClient(configuration=config)
        preload_tls(api_client)
        return Connection(api_client, tuple(secrets))

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
        _sendable(user, token=token, username=user.username, password=user.password)
        if token:
            secrets.append(token)
            config.api_key = {"authorization": f"Bearer {token}"}
        elif user.username and user.password:
            secrets.append(user.password)
            basic = base64.b64encode(f"{user.username}:{user.password}".encode()).decode()
            config.api_key = {"authorization": f"Basic {basic}"}
        cert_data = cert_data or _read_pem_file(user, "client-certificate", user.client_certificate)
        key_data = key_data or _read_pem_file(user, "client-key", user.client_key)
        _check_pem(user, "client-certificate", cert_data, "CERTIFICATE")
        _check_pem(user, "client-key", key_data, "PRIVATE KEY")
        config.cert_file = self._file_for(cert_data) if cert_data else None
        config.key_file = self._file_for(key_data) if key_data else None
        return secrets

    def _exec_credential(self, user: UserEntry, target: Target) -> ExecCredential:
        assert user.exec is not None
        key = f"{user.file}\0{user.name}"
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
        """A path Python's ``ssl`` can load ``data`` from. On Linux an anonymous memory file
        (``/proc/self/fd/N``): nothing reaches the disk, so a killed scan leaves no key
        behind. Elsewhere a file in a private directory named after this process, removed
        by :meth:`close`, or by the next scan if this one is killed."""
        key = hashlib.sha256(data).hexdigest()[:24]
        with self._lock:
            if key in self._files:
                return self._files[key]
            path = _memory_file(data, key) if hasattr(os, "memfd_create") else None
            if path is None:
                if self._tmpdir is None:
                    remove_stale_dirs()
                    self._tmpdir = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-")
                path = os.path.join(self._tmpdir, key + ".pem")
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            self._files[key] = path
            return path


def preload_tls(api_client: Any) -> None:
    """Build the client's TLS context once, with its CA and client certificate loaded.

    Given only file names and PEM data, urllib3 makes a new context and loads the CA (and
    the client certificate) again for every connection: about a tenth of a large scan's
    CPU. The same settings in one context per client keep every check (CA, host name,
    client certificate) as they were. Anything unusual here leaves urllib3 to do it as
    before, so its errors keep their categories."""
    import ssl

    from urllib3.util.ssl_ import create_urllib3_context

    pool_kw = getattr(getattr(api_client, "rest_client", None), "pool_manager", None)
    kw = getattr(pool_kw, "connection_pool_kw", None)
    if not isinstance(kw, dict) or kw.get("ssl_context") is not None:
        return
    verify = kw.get("cert_reqs") == ssl.CERT_REQUIRED
    try:
        context = create_urllib3_context(cert_reqs=kw.get("cert_reqs"))
        if verify and (kw.get("ca_certs") or kw.get("ca_cert_data")):
            context.load_verify_locations(cafile=kw.get("ca_certs"), cadata=kw.get("ca_cert_data"))
        elif verify:
            context.load_default_certs()
        if kw.get("cert_file"):
            context.load_cert_chain(kw["cert_file"], kw.get("key_file"))
    except (ssl.SSLError, OSError, ValueError):
        return  # urllib3 meets the same problem at connect time and reports it as before
    for key in ("ca_certs", "ca_cert_data", "cert_file", "key_file"):
        kw.pop(key, None)
    kw["ssl_context"] = context


def _pool_key(target: Target) -> tuple[Any, ...]:
    """What makes two proxied targets share a client: server, TLS settings and the user."""
    cluster, user = target.cluster, target.user
    assert cluster is not None
    ca = hashlib.sha256(cluster.certificate_authority_data or b"").hexdigest()
    tls = (cluster.certificate_authority, ca, cluster.insecure_skip_tls_verify)
    who = (user.file, user.name) if user is not None else None
    return (request_base(cluster.server), *tls, cluster.tls_server_name, cluster.proxy_url, who)


def _memory_file(data: bytes, name: str) -> str | None:
    try:
        fd = os.memfd_create(f"upgrade-scanner-{name}", os.MFD_CLOEXEC)
    except OSError:
        return None
    os.write(fd, data)
    return f"/proc/{os.getpid()}/fd/{fd}"


def remove_stale_dirs(root: str | None = None) -> list[str]:
    """Remove key directories that killed scans of this user left behind (their process is
    gone); return what was removed."""
    root = root or tempfile.gettempdir()
    removed: list[str] = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    for name in names:
        pid_text = name[len(TMP_PREFIX) :].split("-", 1)[0]
        if not name.startswith(TMP_PREFIX) or not pid_text.isdigit():
            continue
        path = os.path.join(root, name)
        try:
            owned = os.stat(path).st_uid == os.getuid()
        except OSError:
            continue
        if owned and not alive(int(pid_text)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def request_base(server: str) -> str:
    """The server URL requests are made against: no query, no fragment, no trailing slash."""
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")).rstrip("/")


def proxy_for(server: str, proxy_url: str | None, environ: Mapping[str, str]) -> str | None:
    """The proxy kubectl would use: the cluster's ``proxy-url``; else ``HTTPS_PROXY`` (for an
    http server ``HTTP_PROXY``), unless ``NO_PROXY`` matches the host or the host is
    ``localhost`` or a loopback address, which Go never sends to a proxy taken from the
    environment. ``ALL_PROXY`` is not read: Go's ``ProxyFromEnvironment`` ignores it (measured
    with kubectl 1.33: ``ALL_PROXY`` set, it connects directly)."""
    if proxy_url:
        return proxy_url
    host = (urlsplit(server).hostname or "").lower()
    if host == "localhost" or _loopback(host):
        return None

    def env(name: str) -> str:
        return environ.get(name) or environ.get(name.lower()) or ""

    scheme = "HTTP_PROXY" if server.startswith("http://") else "HTTPS_PROXY"
    proxy = env(scheme)
    if not proxy:
        return None
    from kubernetes.client.rest import should_bypass_proxies

    return None if should_bypass_proxies(server, env("NO_PROXY")) else proxy


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _sendable(user: UserEntry, **values: str | None) -> None:
    """kubectl refuses a credential that cannot be sent in an HTTP header ("invalid header
    field value"); so does the scanner, before any connection, naming the field only."""
    for field_name, value in values.items():
        if value and any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise ConfigProblem(
                f"user {user.name!r} (in {user.file}): the {field_name} holds a line break "
                "or another control character, which cannot be sent in an HTTP header "
                "(kubectl: invalid header field value); fix the credential in the kubeconfig"
            )


def _read_pem_file(user: UserEntry, label: str, path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read(1 << 20)
    except OSError as exc:
        raise ConfigProblem(
            f"user {user.name!r} (in {user.file}): {label} {path}: cannot be read "
            f"({(exc.strerror or str(exc)).lower()})"
        ) from None


def _check_pem(user: UserEntry, label: str, data: bytes | None, kind: str) -> None:
    """As kubectl does before connecting: the certificate and the key must be PEM blocks."""
    if data is None:
        return
    if b"-----BEGIN " not in data or kind.encode() not in data:
        what = "key" if "KEY" in kind else "certificate"
        raise ConfigProblem(
            f"user {user.name!r} (in {user.file}): {label}: failed to find any PEM data in "
            f"{what} input; point it at a PEM {what} file"
        )


def _read_token_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise ConfigProblem(f"token file {path}: {exc.strerror}") from None
