"""Kubeconfig files as small frozen dataclasses, merged exactly like kubectl.

Merge rule (kubectl's, not the Python client's): for every cluster, user and context name,
and for ``current-context``, the first file that sets it wins. Relative file paths inside a
kubeconfig are resolved against the directory of the file that defines them.

Secret-bearing fields are excluded from ``repr`` so they cannot leak through logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClusterEntry:
    name: str
    server: str
    source: str  # the file that defined it
    certificate_authority: str | None = None  # absolute path
    certificate_authority_data: bytes | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    proxy_url: str | None = None


@dataclass(frozen=True)
class ExecConfig:
    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    api_version: str = "client.authentication.k8s.io/v1"
    install_hint: str = ""
    provide_cluster_info: bool = False
    interactive_mode: str = "IfAvailable"


@dataclass(frozen=True)
class UserEntry:
    name: str
    source: str
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None  # absolute path
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_certificate: str | None = None  # absolute path
    client_certificate_data: bytes | None = field(default=None, repr=False)
    client_key: str | None = None  # absolute path
    client_key_data: bytes | None = field(default=None, repr=False)
    exec: ExecConfig | None = None
    auth_provider: str | None = None  # name only; auth providers are not supported


@dataclass(frozen=True)
class ContextEntry:
    name: str
    cluster: str
    user: str
    source: str
    namespace: str | None = None


@dataclass(frozen=True)
class Kubeconfig:
    """The merged view of one or more kubeconfig files. ``contexts`` keeps file order."""

    files: tuple[str, ...]
    clusters: Mapping[str, ClusterEntry]
    users: Mapping[str, UserEntry]
    contexts: Mapping[str, ContextEntry]
    current_context: str | None = None
