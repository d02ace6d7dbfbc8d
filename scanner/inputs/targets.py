"""Which contexts to scan, in which role: kubeconfig + inventory -> targets.

The global context comes first, then the workload contexts in kubeconfig order. A context
that is broken in the kubeconfig is still a target, with ``problem`` set, so that it reaches
the report as ``UNKNOWN``/``config`` instead of silently disappearing. No file is read here
except ``os.path`` checks that referenced files exist.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import urlsplit, urlunsplit

from scanner.errors import UsageError
from scanner.inputs.fields import did_you_mean
from scanner.inputs.inventory import Inventory
from scanner.inputs.kubeconfig import (
    AcpExtension,
    ClusterEntry,
    ContextEntry,
    Kubeconfig,
    UserEntry,
    quote,
    safe_server,
)
from scanner.model import Access, KindSource, Role


@dataclass(frozen=True)
class Target:
    """One selected kubeconfig context and what the inventory says about it.

    ``problem`` is set when the context is broken in the kubeconfig (missing user or cluster
    entry): such a target is never contacted and becomes ``UNKNOWN``/``config``.
    ``server`` is already display-safe (no userinfo, no query string).
    """

    context: str
    role: Role
    name: str
    kind: str = "unknown"
    server: str = ""
    owner: str = ""
    notes: str = ""
    insecure_skip_tls_verify: bool = False
    problem: str | None = None
    cluster: ClusterEntry | None = field(default=None, repr=False)
    user: UserEntry | None = field(default=None, repr=False)
    platform_name: str = ""  # the inventory's name for this cluster on the global cluster
    wave: int | None = None  # the inventory's roadmap wave
    kind_source: KindSource | None = None  # None: the inventory's, unknown when it gave none
    acp: AcpExtension | None = None  # the platform CLI's extension on the context or cluster
    access: Access = Access.KUBECONFIG  # or through the platform proxy (a recorded cluster)
    api_prefix: str = ""  # prepended to every request path ("/kubernetes/<name>" via the proxy)

    def __post_init__(self) -> None:
        if self.kind_source is None:
            origin = KindSource.UNKNOWN if self.kind == "unknown" else KindSource.INVENTORY
            object.__setattr__(self, "kind_source", origin)


_LISTED = 10  # contexts named in a usage error before "and N more"


PROXY_PATH = re.compile(r"^(?P<prefix>.*?)/kubernetes/(?P<cluster>[^/]+)/?$")


def platform_base(target: Target | None, platform_url: str | None = None) -> str | None:
    """The platform address clusters are reached through (``<base>/kubernetes/<cluster>``):
    ``--platform-url``, else the global context's server when it has that form, else the
    ``platformUrl`` of its ``acp.io/v1`` extension. ``None``: no platform proxy."""
    if platform_url:
        return request_url(platform_url)
    if target is None or target.problem or target.cluster is None:
        return None
    parts = urlsplit(target.cluster.server)
    match = PROXY_PATH.match(parts.path)
    if parts.scheme and parts.netloc and match:
        return urlunsplit((parts.scheme, parts.netloc, match.group("prefix"), "", ""))
    if target.acp is not None and target.acp.platform_url:
        return request_url(target.acp.platform_url)
    return None


def request_url(url: str) -> str:
    """A URL without query, fragment or trailing slash."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")).rstrip("/")


def proxied_cluster(server: str) -> str | None:
    """``<cluster>`` of a server URL of the form ``https://<platform>/kubernetes/<cluster>``."""
    match = PROXY_PATH.match(urlsplit(server).path)
    return match.group("cluster") if match else None


def select_targets(
    config: Kubeconfig,
    *,
    global_context: str | None,
    include: Sequence[str],
    exclude: Sequence[str],
    inventory: Inventory | None,
    platform_proxy: bool = False,
    platform_url: str | None = None,
) -> list[Target]:
    """The global target first, then the workload contexts. With ``platform_proxy`` and a
    platform address to reach clusters through, an ``--context`` pattern may match no
    context: it may match a cluster the platform records (checked after discovery)."""
    names = list(config.contexts)
    global_name = _global_name(config, names, global_context)
    global_target = _target(config, global_name, Role.GLOBAL, inventory)
    unmatched_ok = platform_proxy and platform_base(global_target, platform_url) is not None
    for pattern in exclude:
        if fnmatchcase(global_name, pattern):
            raise UsageError(
                f"--exclude {quote(pattern)} matches the global context {quote(global_name)}; "
                "the global cluster is always scanned: narrow the pattern or pick another "
                "--global-context"
            )
    workloads = _matching(names, include, exclude, skip=global_name, unmatched_ok=unmatched_ok)
    return [global_target] + [_target(config, name, Role.WORKLOAD, inventory) for name in workloads]


def select_candidates(
    config: Kubeconfig,
    *,
    include: Sequence[str],
    exclude: Sequence[str],
    inventory: Inventory | None,
) -> list[Target]:
    """Contexts checked by ``onboarding``: every match, no global cluster (none is upgraded)."""
    names = list(config.contexts)
    if not names:
        raise UsageError("the kubeconfig has no contexts; pass one with --kubeconfig")
    return [
        _target(config, name, Role.WORKLOAD, inventory)
        for name in _matching(names, include, exclude, skip=None)
    ]


def _matching(
    names: list[str],
    include: Sequence[str],
    exclude: Sequence[str],
    skip: str | None,
    unmatched_ok: bool = False,
) -> list[str]:
    for pattern in () if unmatched_ok else include:
        if not any(fnmatchcase(name, pattern) for name in names):
            raise UsageError(
                f"--context {quote(pattern)} matches no context in the kubeconfig"
                f"{did_you_mean(pattern, names, quote)}; {_available(names)}"
            )
    return [
        name
        for name in names
        if name != skip
        and (not include or any(fnmatchcase(name, p) for p in include))
        and not any(fnmatchcase(name, p) for p in exclude)
    ]


def _global_name(config: Kubeconfig, names: list[str], requested: str | None) -> str:
    if not names:
        files = ", ".join(config.files) or "none found"
        raise UsageError(
            f"the kubeconfig has no contexts (files read: {files}); "
            "pass --kubeconfig FILE or set KUBECONFIG, then --global-context NAME"
        )
    if requested is not None:
        if requested not in config.contexts:
            raise UsageError(
                f"--global-context {quote(requested)}: no such context in the kubeconfig"
                f"{did_you_mean(requested, names, quote)}; {_available(names)}"
            )
        return requested
    current = config.current_context
    marked = [name for name in names if _is_global(config, name)]
    if marked and (current is None or current not in marked):
        # The platform CLI marks its global context (acp.io/v1 isGlobal): that wins over a
        # current-context pointing at a workload cluster. Several sessions: the first.
        return marked[0]
    if current is None:
        raise UsageError(
            "no global context: the kubeconfig has no current-context; "
            f"pass --global-context NAME ({_available(names)})"
        )
    if current not in config.contexts:
        raise UsageError(
            f"current-context {quote(current)} is not a context in the kubeconfig; "
            f"pass --global-context NAME ({_available(names)})"
        )
    return current


def _acp(config: Kubeconfig, name: str) -> AcpExtension | None:
    context = config.contexts[name]
    cluster = config.clusters.get(context.cluster) if context.cluster else None
    return context.acp or (cluster.acp if cluster else None)


def _is_global(config: Kubeconfig, name: str) -> bool:
    acp = _acp(config, name)
    return acp is not None and acp.is_global


def _target(config: Kubeconfig, name: str, role: Role, inventory: Inventory | None) -> Target:
    context = config.contexts[name]
    cluster = config.clusters.get(context.cluster) if context.cluster else None
    # No user at all is legitimate (anonymous, as kubectl allows); a named one must exist.
    user = config.users.get(context.user) if context.user else None
    entry = inventory.lookup(name) if inventory is not None else None
    problems = _problems(context, cluster, user)
    return Target(
        context=name,
        role=role,
        name=(entry.display_name if entry else "") or name,
        kind=entry.kind if entry else "unknown",
        server=safe_server(cluster.server) if cluster else "",
        owner=entry.owner if entry else "",
        wave=entry.wave if entry else None,
        notes=entry.notes if entry else "",
        insecure_skip_tls_verify=cluster.insecure_skip_tls_verify if cluster else False,
        problem="; ".join(problems) or None,
        cluster=cluster,
        user=user,
        platform_name=entry.platform_name if entry else "",
        acp=_acp(config, name),
    )


def _problems(
    context: ContextEntry, cluster: ClusterEntry | None, user: UserEntry | None
) -> list[str]:
    """Why the context cannot be used, in words that never include a secret value."""
    problems = []
    if not context.cluster:
        problems.append(f"context {quote(context.name)} names no cluster")
    elif cluster is None:
        problems.append(f"cluster {quote(context.cluster)} is not in the kubeconfig")
    else:
        problems.extend(_cluster_problems(cluster))
    if context.user and user is None:
        problems.append(f"user {quote(context.user)} is not in the kubeconfig")
    elif user is not None:
        problems.extend(_user_problems(user))
    return problems


def _cluster_problems(cluster: ClusterEntry) -> list[str]:
    where = f"cluster {quote(cluster.name)} (in {cluster.file})"
    problems = [f"{where}: {cluster.invalid}"] if cluster.invalid else []
    if not cluster.server:
        problems.append(f"{where} has no server")
    problems.extend(_missing_files(where, {"certificate-authority": cluster.certificate_authority}))
    return problems


def _user_problems(user: UserEntry) -> list[str]:
    where = f"user {quote(user.name)} (in {user.file})"
    problems = [f"{where}: {user.invalid}"] if user.invalid else []
    files = {
        "client-certificate": user.client_certificate,
        "client-key": user.client_key,
        "tokenFile": user.token_file,
    }
    problems.extend(_missing_files(where, files))
    if user.auth_provider:
        problems.append(
            f"{where} uses auth-provider {quote(user.auth_provider)}, which is not supported; "
            "switch to an exec credential plugin (kubectl dropped built-in gcp/azure providers "
            "in 1.26)"
        )
    return problems


def _missing_files(where: str, paths: dict[str, str | None]) -> list[str]:
    return [
        f"{where}: {key} {path} {'is not a file' if os.path.exists(path) else 'does not exist'}"
        for key, path in paths.items()
        if path is not None and not os.path.isfile(path)
    ]


def _available(names: list[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return f"available: {shown}{more}"
