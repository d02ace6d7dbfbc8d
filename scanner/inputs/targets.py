"""Which contexts to scan, in which role: kubeconfig + inventory -> targets.

The global context comes first, then the workload contexts in kubeconfig order. A context
that is broken in the kubeconfig is still a target, with ``problem`` set, so that it reaches
the report as ``UNKNOWN``/``config`` instead of silently disappearing. No file is read here
except ``os.path`` checks that referenced files exist.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from scanner.errors import UsageError
from scanner.inputs.inventory import Inventory
from scanner.inputs.kubeconfig import (
    ClusterEntry,
    ContextEntry,
    Kubeconfig,
    UserEntry,
    quote,
    safe_server,
)
from scanner.model import Role


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
    kind_source: str | None = None  # None: the inventory's, or "unknown" when it gave none

    @property
    def kind_origin(self) -> str:
        """Where ``kind`` came from: ``inventory``, ``discovery`` or ``unknown``."""
        if self.kind_source is not None:
            return self.kind_source
        return "unknown" if self.kind == "unknown" else "inventory"


_LISTED = 10  # contexts named in a usage error before "and N more"


def select_targets(
    config: Kubeconfig,
    *,
    global_context: str | None,
    include: Sequence[str],
    exclude: Sequence[str],
    inventory: Inventory | None,
) -> list[Target]:
    names = list(config.contexts)
    global_name = _global_name(config, names, global_context)
    for pattern in exclude:
        if fnmatchcase(global_name, pattern):
            raise UsageError(
                f"--exclude {quote(pattern)} matches the global context {quote(global_name)}; "
                "the global cluster is always scanned: narrow the pattern or pick another "
                "--global-context"
            )
    workloads = _matching(names, include, exclude, skip=global_name)
    return [_target(config, global_name, Role.GLOBAL, inventory)] + [
        _target(config, name, Role.WORKLOAD, inventory) for name in workloads
    ]


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
    names: list[str], include: Sequence[str], exclude: Sequence[str], skip: str | None
) -> list[str]:
    for pattern in include:
        if not any(fnmatchcase(name, pattern) for name in names):
            raise UsageError(
                f"--context {quote(pattern)} matches no context in the kubeconfig"
                f"{_did_you_mean(pattern, names)}; {_available(names)}"
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
                f"{_did_you_mean(requested, names)}; {_available(names)}"
            )
        return requested
    current = config.current_context
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
        notes=entry.notes if entry else "",
        insecure_skip_tls_verify=cluster.insecure_skip_tls_verify if cluster else False,
        problem="; ".join(problems) or None,
        cluster=cluster,
        user=user,
        platform_name=entry.platform_name if entry else "",
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
    where = f"cluster {quote(cluster.name)} (in {cluster.source})"
    problems = [f"{where}: {cluster.invalid}"] if cluster.invalid else []
    if not cluster.server:
        problems.append(f"{where} has no server")
    problems.extend(_missing_files(where, {"certificate-authority": cluster.certificate_authority}))
    return problems


def _user_problems(user: UserEntry) -> list[str]:
    where = f"user {quote(user.name)} (in {user.source})"
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


def _did_you_mean(word: str, names: list[str]) -> str:
    # Also try the pattern without wildcards, so "eks-prd*" still finds "eks-prod".
    for candidate in (word, word.strip("*?")):
        close = difflib.get_close_matches(candidate, names, n=1)
        if close:
            return f"; did you mean {quote(close[0])}?"
    return ""


def _available(names: list[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return f"available: {shown}{more}"
