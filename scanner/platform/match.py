"""Platform coverage: which kubeconfig context is which platform record, and which records
no context covers. Plain data in, plain data out, no I/O (the findings this leads to are
:mod:`scanner.rules.platform`).

Decisions:
- A context is matched to a record by the inventory's ``platform_name``, else by name
  (the context's, then its kubeconfig cluster entry's), else by API server ``host:port``.
  A global context left unmatched takes the record named ``global`` (the platform's name
  for itself) when no other context has it.
- A record no kubeconfig context matches is a cluster the scan would have missed: it is
  reported (``source: platform-record``) and evaluated on its recorded version, with the
  warning ``not-scanned/<name>``. Without a usable recorded version it is ``UNKNOWN`` with
  category ``config``: the fix is a kubeconfig context. A record whose context is in the
  kubeconfig but not selected (``--context``/``--exclude``) was left out on purpose: it is
  counted in a note, not reported.
- ``not-registered/<context>`` needs a list of the platform's clusters that was read: when
  neither the platform nor the Cluster API list could be read, nothing is said.
- Kinds: the inventory's first, then the record's, else ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from urllib.parse import quote, urlsplit

from scanner.inputs.inventory import Inventory
from scanner.inputs.targets import Target, proxied_cluster
from scanner.model import Access, ErrorCategory, Evidence, KindSource, Observation, Role, ScanError
from scanner.platform.catalogue import GLOBAL_NAME
from scanner.platform.clusters import ClusterRecord, url_endpoint
from scanner.platform.discovery import Discovery
from scanner.versions import VersionError, parse_git_version

GLOBAL_RECORD = GLOBAL_NAME
RECORD_ONLY = "the platform's record: not scanned live"


@dataclass(frozen=True)
class Missed:
    """A record no kubeconfig context matches: reported from the record alone."""

    target: Target
    observation: Observation
    record: ClusterRecord


@dataclass(frozen=True)
class Coverage:
    """The selected targets with discovered kinds, and what the platform adds to them."""

    targets: tuple[Target, ...]
    matches: Mapping[str, ClusterRecord] = field(default_factory=dict)  # context -> record
    record_only: tuple[Missed, ...] = ()
    unselected: tuple[str, ...] = ()  # records whose context exists but was not selected
    proxied: tuple[Target, ...] = ()  # records no context covers, scanned via the proxy
    proxy_base: str | None = None
    not_matched: tuple[str, ...] = ()  # --context patterns matching no context and no record
    filtered: tuple[str, ...] = ()  # records left out of the proxy by --context/--exclude
    proxied_records: Mapping[str, ClusterRecord] = field(default_factory=dict)  # by context
    # Records no context covers, reported from the record alone, by their context.
    record_only_by_context: Mapping[str, ClusterRecord] = field(default_factory=dict)

    def record_of(self, context: str) -> tuple[ClusterRecord | None, bool]:
        """The record of a context, and whether the cluster is known only from it."""
        alone = self.record_only_by_context.get(context)
        if alone is not None:
            return alone, True
        return self.matches.get(context) or self.proxied_records.get(context), False


@dataclass(frozen=True)
class Proxy:
    """Reach recorded clusters no context covers through the platform, at ``base``, with the
    global target's credentials; ``include``/``exclude`` are the ``--context`` globs."""

    base: str
    global_target: Target
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def match_coverage(
    selected: Sequence[Target],
    unselected: Sequence[Target],
    discovery: Discovery,
    inventory: Inventory | None = None,
    proxy: Proxy | None = None,
) -> Coverage:
    """Match every kubeconfig context to a record, fill in kinds, list the missed records:
    scanned through the platform proxy when there is one, else reported from the record."""
    matches = match_records([*selected, *unselected], discovery.records)
    chosen = {target.context for target in selected}
    contexts = chosen | {target.context for target in unselected}
    covered = {record.name for record in matches.values()}
    selected_records = {matches[c].name for c in chosen if c in matches}
    missed = [record for record in discovery.records if record.name not in covered]
    proxied: list[tuple[Target, ClusterRecord]] = []
    filtered: list[str] = []
    not_matched: tuple[str, ...] = ()
    if proxy is not None:
        for record in missed:
            if _wanted(record.name, proxy):
                proxied.append((proxy_target(record, proxy, inventory, contexts), record))
            else:
                filtered.append(record.name)
        names = [*contexts, *(record.name for record in discovery.records)]
        not_matched = tuple(p for p in proxy.include if not any(fnmatchcase(n, p) for n in names))
        missed = []
    record_only = tuple(record_only_target(r, inventory, taken=contexts) for r in missed)
    return Coverage(
        targets=tuple(with_discovered_kind(t, matches.get(t.context)) for t in selected),
        matches={context: record for context, record in matches.items() if context in chosen},
        record_only=record_only,
        unselected=tuple(sorted(covered - selected_records)),
        proxied=tuple(target for target, _ in proxied),
        proxy_base=proxy.base if proxy else None,
        not_matched=not_matched,
        filtered=tuple(filtered),
        proxied_records={target.context: record for target, record in proxied},
        record_only_by_context={m.target.context: m.record for m in record_only},
    )


def _wanted(name: str, proxy: Proxy) -> bool:
    included = not proxy.include or any(fnmatchcase(name, p) for p in proxy.include)
    return included and not any(fnmatchcase(name, p) for p in proxy.exclude)


def proxy_target(
    record: ClusterRecord, proxy: Proxy, inventory: Inventory | None, taken: Iterable[str] = ()
) -> Target:
    """A recorded cluster as a live target: ``<base>/kubernetes/<name>`` with the global
    context's credentials and TLS settings; one client serves every such target. A record
    name that is not a DNS-1123 subdomain (``../..``, ``a/version?``) is never requested:
    the target carries the problem, so the cluster is ``UNKNOWN``/``config`` and no request
    with the platform's token can leave that cluster's path."""
    origin = proxy.global_target
    assert origin.cluster is not None
    parts = urlsplit(proxy.base)
    context = f"platform:{record.name}" if record.name in set(taken) else record.name
    entry = inventory.lookup(record.name) if inventory is not None else None
    cluster = replace(
        origin.cluster,
        name=f"{origin.cluster.name} (platform proxy)",
        server=f"{parts.scheme}://{parts.netloc}",
    )
    valid = is_cluster_name(record.name)
    escaped = quote(record.name, safe="")
    problem = (
        None
        if valid
        else f"invalid cluster name {escaped!r} in the platform's records: not a DNS-1123 "
        "subdomain, so it is never requested through the platform proxy"
    )
    return with_discovered_kind(
        Target(
            context=context,
            role=Role.WORKLOAD,
            name=(entry.display_name if entry else "") or record.name,
            kind=entry.kind if entry else "unknown",
            server=f"{proxy.base}/kubernetes/{escaped}",
            owner=entry.owner if entry else "",
            wave=entry.wave if entry else None,
            notes=entry.notes if entry else "",
            insecure_skip_tls_verify=origin.insecure_skip_tls_verify,
            cluster=cluster,
            user=origin.user,
            platform_name=record.name,
            access=Access.PLATFORM_PROXY,
            api_prefix=f"{parts.path.rstrip('/')}/kubernetes/{escaped}" if valid else "",
            problem=problem,
        ),
        record,
    )


_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def is_cluster_name(name: str) -> bool:
    """A DNS-1123 subdomain (what Kubernetes object names are): lower-case letters, digits,
    ``-`` and ``.``, at most 253 characters; nothing a URL path could be steered with."""
    return len(name) <= 253 and _DNS_SUBDOMAIN.fullmatch(name) is not None


def match_records(
    targets: Sequence[Target], records: Sequence[ClusterRecord]
) -> dict[str, ClusterRecord]:
    """Context -> record: inventory ``platform_name``, then name, then API server URL."""
    by_name = {record.name: record for record in records}
    by_endpoint: dict[str, ClusterRecord] = {}
    for record in records:
        for endpoint in record.endpoints:
            by_endpoint.setdefault(endpoint, record)
    matches: dict[str, ClusterRecord] = {}
    for target in targets:
        found = _match(target, by_name, by_endpoint)
        if found is not None:
            matches[target.context] = found
    own = by_name.get(GLOBAL_RECORD)
    if own is not None and own not in matches.values():
        for target in targets:
            if target.role is Role.GLOBAL and target.context not in matches:
                matches[target.context] = own
    return matches


def _match(
    target: Target,
    by_name: Mapping[str, ClusterRecord],
    by_endpoint: Mapping[str, ClusterRecord],
) -> ClusterRecord | None:
    if target.platform_name:  # the inventory says which record it is: nothing else counts
        return by_name.get(target.platform_name)
    if target.acp is not None and target.acp.cluster_name:  # the platform CLI's own mark
        return by_name.get(target.acp.cluster_name)
    for name in candidate_names(target):
        if name in by_name:
            return by_name[name]
    server = target.cluster.server if target.cluster else target.server
    endpoint = url_endpoint(server) if server else None
    return by_endpoint.get(endpoint) if endpoint else None


def candidate_names(target: Target) -> list[str]:
    """Names a context may carry its record's name in: the context's own, its cluster
    entry's, ``<session>/<cluster>`` and ``acp:<session>:<cluster>`` (the platform CLI's
    forms), and ``.../kubernetes/<cluster>`` in a server URL through the platform proxy."""
    cluster = target.cluster
    names = [target.context, cluster.name if cluster else ""]
    if "/" in target.context:
        names.append(target.context.rsplit("/", 1)[1])
    if cluster is not None:
        if cluster.name.startswith("acp:") and cluster.name.count(":") >= 2:
            names.append(cluster.name.rsplit(":", 1)[1])
        names.append(proxied_cluster(cluster.server) or "")
    return [name for name in dict.fromkeys(names) if name]


def with_discovered_kind(target: Target, record: ClusterRecord | None) -> Target:
    if target.kind_source is not KindSource.UNKNOWN or record is None or record.kind is None:
        return target
    return replace(target, kind=record.kind, kind_source=KindSource.DISCOVERY)


def record_only_target(
    record: ClusterRecord, inventory: Inventory | None, taken: Iterable[str] = ()
) -> Missed:
    """A cluster known only from its record: a target that is never contacted, and an
    observation made of the recorded version. Its context is the record's name (prefixed
    with ``platform:`` in the odd case that a kubeconfig context has that name)."""
    context = f"platform:{record.name}" if record.name in set(taken) else record.name
    entry = inventory.lookup(record.name) if inventory is not None else None
    target = with_discovered_kind(
        Target(
            context=context,
            role=Role.WORKLOAD,
            name=(entry.display_name if entry else "") or record.name,
            kind=entry.kind if entry else "unknown",
            server=record.server,
            owner=entry.owner if entry else "",
            wave=entry.wave if entry else None,
            notes=entry.notes if entry else "",
        ),
        record,
    )
    return Missed(target, _recorded_observation(context, record), record)


def _recorded_observation(context: str, record: ClusterRecord) -> Observation:
    if record.version is None:
        message = "recorded on the platform with no version and not in the kubeconfig"
        return Observation(context, error=ScanError(ErrorCategory.CONFIG, message))
    try:
        version = parse_git_version(record.version)
    except VersionError:
        message = (
            f"recorded on the platform with version {record.version!r}, which is not usable, "
            "and not in the kubeconfig"
        )
        return Observation(context, error=ScanError(ErrorCategory.CONFIG, message))
    return Observation(context, version=version, evidence=Evidence.RECORD, provenance=RECORD_ONLY)


def platform_notes(coverage: Coverage) -> tuple[str, ...]:
    """What coverage tells the reader in words: missed clusters, records left out."""
    notes = []
    if coverage.record_only:
        names = ", ".join(missed.record.name for missed in coverage.record_only)
        notes.append(
            f"{_count(len(coverage.record_only), 'cluster')} recorded on the global cluster "
            f"with no kubeconfig context, reported from the record: {names}"
        )
    if coverage.proxied:
        notes.append(
            f"{_count(len(coverage.proxied), 'cluster')} recorded on the global cluster with no "
            f"kubeconfig context, scanned through the platform at {coverage.proxy_base}: "
            + ", ".join(target.context for target in coverage.proxied)
        )
    if coverage.filtered:
        notes.append(
            f"{_count(len(coverage.filtered), 'platform record')} left out by --context/--exclude: "
            + ", ".join(coverage.filtered)
        )
    for pattern in coverage.not_matched:
        notes.append(f"--context {pattern!r} matched no context and no platform record")
    if coverage.unselected:
        notes.append(
            f"{_count(len(coverage.unselected), 'platform record')} of kubeconfig contexts "
            f"that were not selected, left out: {', '.join(coverage.unselected)}"
        )
    return tuple(notes)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
