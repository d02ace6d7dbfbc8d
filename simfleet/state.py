"""A simulated cluster at run time: its credentials, how it authenticates, what it has seen."""

from __future__ import annotations

import base64
import binascii
import hmac
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field

from simfleet.spec import ClusterSpec


@dataclass(frozen=True)
class ClusterStats:
    """What one cluster's server saw. `auth` counts requests by credential kind:
    "bearer", "basic" (the Authorization scheme), "cert" (no header, verified client cert),
    "anonymous" (neither) or "other"."""

    requests: int
    connections: int
    auth: dict[str, int]
    paths: dict[str, int]


@dataclass
class ClusterState:
    """A cluster's spec, credentials and counters; counters are read from other threads."""

    spec: ClusterSpec
    token: str
    username: str
    password: str
    ssl_context: ssl.SSLContext | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _requests: int = 0
    _connections: int = 0
    _auth: Counter[str] = field(default_factory=Counter)
    _paths: Counter[str] = field(default_factory=Counter)

    def authenticate(self, authorization: str, has_client_cert: bool) -> tuple[str, bool]:
        """(credential kind, authenticated). A verified client cert authenticates on its own,
        as kube-apiserver's x509 authenticator runs before the token ones."""
        scheme, _, credential = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if not scheme:
            return ("cert" if has_client_cert else "anonymous"), has_client_cert
        if scheme == "bearer":
            return "bearer", has_client_cert or _same(credential.strip(), self.token)
        if scheme == "basic":
            try:
                user, _, password = base64.b64decode(credential.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return "basic", has_client_cert
            ok = _same(user, self.username) and _same(password, self.password)
            return "basic", has_client_cert or ok
        return "other", has_client_cert

    def record_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def record_request(self, path: str, auth_kind: str) -> int:
        """Count a request; returns its number (1 for the first)."""
        with self._lock:
            self._requests += 1
            self._auth[auth_kind] += 1
            self._paths[path] += 1
            return self._requests

    def stats(self) -> ClusterStats:
        with self._lock:
            return ClusterStats(
                self._requests, self._connections, dict(self._auth), dict(self._paths)
            )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
