"""Turn one target's kubeconfig entries into an :class:`~scanner.kube.channel.Endpoint`: where
to send requests, with which credential, TLS settings and proxy.

kubectl's semantics are kept (``certificate-authority(-data)``, ``tls-server-name``,
``insecure-skip-tls-verify``, tokens, token files, basic auth, client certificates, exec
plugins, ``proxy-url`` and the proxy environment); nothing is ever written back to a
kubeconfig. Client certificate data must be files for ``ssl``: on Linux they are anonymous
memory files, elsewhere files in a private directory the :class:`ClientFactory` removes
when it is closed. One ``SSLContext`` is built per distinct CA and client certificate.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import os
import re
import shutil
import ssl
import tempfile
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scanner.inputs.kubeconfig import ClusterEntry, UserEntry
from scanner.inputs.targets import Target
from scanner.kube.channel import Endpoint
from scanner.kube.credentials import CredentialError, ExecCredential, exec_secrets, run_exec_plugin
from scanner.kube.errors import FetchError
from scanner.model import ErrorCategory
from scanner.processes import alive

TMP_PREFIX = "upgrade-scanner-"


class ConfigProblem(Exception):
    """The context cannot be turned into an endpoint (category ``config``)."""


class ClientFactory:
    """Builds endpoints for many targets; caches exec credentials per user and TLS contexts
    per CA and client certificate for one scan. Thread-safe: endpoints are built off the
    event loop (an exec plugin is a process the loop must not wait for)."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._user_locks: dict[str, threading.Lock] = {}
        self._exec_cache: dict[str, ExecCredential | CredentialError] = {}
        self._contexts: dict[tuple[Any, ...], ssl.SSLContext] = {}
        self._tmpdir: str | None = None
        self._files: dict[str, str] = {}  # sha256 of key material -> the path ssl loads

    def close(self) -> None:
        with self._lock:
            for path in self._files.values():
                if path.startswith("/proc/"):
                    with contextlib.suppress(OSError, ValueError):
                        os.close(int(path.rsplit("/", 1)[1]))
            self._files.clear()
            self._contexts.clear()
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
                self._tmpdir = None

    def __enter__(self) -> ClientFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(self, target: Target) -> Endpoint:
        """The target's endpoint; :class:`ConfigProblem` for a broken context or
        credential, a TLS :class:`FetchError` for TLS material that cannot be loaded."""
        cluster, user = target.cluster, target.user
        if target.problem or cluster is None:
            raise ConfigProblem(target.problem or "context has no cluster entry")
        headers: dict[str, str] = {}
        secrets: list[str] = []
        cert: tuple[bytes | None, bytes | None] = (None, None)
        # A context without a user is valid for kubectl: its requests are anonymous.
        if user is not None:
            cert = self._apply_user(headers, secrets, user, target)
        base = request_base(cluster.server)
        return Endpoint(
            base=base,
            headers=headers,
            ssl=self._context(cluster, *cert),
            server_hostname=cluster.tls_server_name or None,
            proxy=proxy_for(base, cluster.proxy_url, os.environ),
            secrets=tuple(secrets),
            prefix=target.api_prefix,
            pool_key=pool_key(target),
        )

    def _apply_user(
        self, headers: dict[str, str], secrets: list[str], user: UserEntry, target: Target
    ) -> tuple[bytes | None, bytes | None]:
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
            headers["Authorization"] = f"Bearer {token}"
        elif user.username and user.password:
            secrets.append(user.password)
            basic = base64.b64encode(f"{user.username}:{user.password}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        cert_data = cert_data or _read_pem_file(user, "client-certificate", user.client_certificate)
        key_data = key_data or _read_pem_file(user, "client-key", user.client_key)
        _check_pem(user, "client-certificate", cert_data, "CERTIFICATE")
        _check_pem(user, "client-key", key_data, "PRIVATE KEY")
        return cert_data, key_data

    def _context(
        self, cluster: ClusterEntry, cert: bytes | None, key: bytes | None
    ) -> ssl.SSLContext:
        """One TLS context per CA, verification and client certificate: loading a CA is the
        costly part of a handshake's set-up, and a fleet shares a few of them."""
        verify = not cluster.insecure_skip_tls_verify
        ca_data = cluster.certificate_authority_data
        key_id = (
            verify,
            hashlib.sha256(ca_data).hexdigest() if ca_data else None,
            cluster.certificate_authority,
            hashlib.sha256(cert).hexdigest() if cert else None,
            hashlib.sha256(key).hexdigest() if key else None,
        )
        with self._lock:
            found = self._contexts.get(key_id)
        if found is not None:
            return found
        # Verification on, the CA given or else the system's roots (as kubectl): never
        # both, and the system's roots are only loaded when they are what is trusted.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            if not verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            elif ca_data:
                context.load_verify_locations(cadata=ca_data.decode("utf-8", "replace"))
            elif cluster.certificate_authority:
                context.load_verify_locations(cafile=cluster.certificate_authority)
            else:
                context.load_default_certs(ssl.Purpose.SERVER_AUTH)
            if cert:
                context.load_cert_chain(self._file_for(cert), self._file_for(key) if key else None)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise FetchError(
                ErrorCategory.TLS, f"TLS: the certificate or key cannot be loaded ({exc})"
            ) from None
        with self._lock:
            return self._contexts.setdefault(key_id, context)

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


def blocks(target: Target) -> bool:
    """Whether building the target's endpoint reads a file or runs an exec plugin."""
    cluster, user = target.cluster, target.user
    files: tuple[str | None, ...] = (cluster.certificate_authority,) if cluster else ()
    if user is not None:
        if user.exec is not None:
            return True
        files += (user.token_file, user.client_certificate, user.client_key)
    return any(files)


def pool_key(target: Target) -> tuple[Any, ...] | None:
    """What makes two proxied targets share a connection pool (server, TLS settings, user);
    None for a cluster reached directly, on a connection of its own."""
    cluster, user = target.cluster, target.user
    if not target.api_prefix or cluster is None:
        return None
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


_UNSENDABLE = re.compile(r"[\x00-\x1f\x7f]")  # a control character: no HTTP header holds it


def _sendable(user: UserEntry, **values: str | None) -> None:
    """kubectl refuses a credential that cannot be sent in an HTTP header ("invalid header
    field value"); so does the scanner, before any connection, naming the field only."""
    for field_name, value in values.items():
        if value and _UNSENDABLE.search(value):
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
