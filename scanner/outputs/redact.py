"""Redaction of a report before it leaves the team (vendor support case, public issue).

Every API server host becomes a stable placeholder, ``https://cluster-1.redacted:6443``,
numbered by first appearance in the report, so two clusters stay distinguishable and the same
host reads the same everywhere. Hosts of other URLs anywhere in the report (proxies, token
issuers, the platform's address, a ticket system in the command line) and the scanning
machine's name are replaced too; ``oc login`` spells the host dashed in context names
(``api-ocp-example-com``), and that spelling is replaced as well.

Redaction is generic: every string of the report's dict form (keys included) goes through
the host map, and the report is rebuilt from it, so a section added later is covered without
anyone remembering to list it. Only public data is left as it is: the policy reference, the
tool, and the hosts of the documentation the bundled data cites.

With a :class:`HostMap` loaded from an output directory (:func:`load_host_map`), a host keeps
its placeholder from run to run, so comparing redacted runs shows real changes only; the
file holds keyed hashes of the hosts, never the hosts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from scanner.outputs.files import write_atomic
from scanner.report import Report

# Network URLs only: a container runtime's "containerd://1.7.22" names no host.
_URL_HOST = re.compile(
    r"\b(?:https?|socks[45]h?|wss?|tcp|ftp)://(?:[^@/\s]*@)?(\[[0-9a-f:.]+\]|[^/\s:\"'<>?#`]+)",
    re.I,
)
# Keys of the report's dict form that hold public data only: left as they are.
PUBLIC_KEYS = frozenset({"policy", "tool", "schema_version"})
# Hosts of the documentation the bundled data cites (removals, policy sources, manual
# checks): public, and what a reader of a redacted report needs to follow a remediation.
DOCUMENTATION_HOSTS = frozenset({"kubernetes.io", "docs.alauda.io", "github.com"})
MAP_FILE = ".upgrade-scanner-redaction.json"
_PLACEHOLDER = re.compile(r"^(?P<kind>[a-z]+)-(?P<number>\d+)\.redacted$")


class HostMap:
    """Host name -> placeholder, in order of first appearance; replaces them in any text.

    ``known`` maps a keyed hash of a host to the placeholder an earlier run gave it (see
    :func:`load_host_map`): such a host keeps it, a new host gets the next free number.
    """

    def __init__(self, key: bytes = b"", known: Mapping[str, str] | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._known = dict(known or {})
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        for placeholder in self._known.values():
            match = _PLACEHOLDER.match(placeholder)
            if match:
                kind, number = match["kind"], int(match["number"])
                self._counts[kind] = max(self._counts.get(kind, 0), number)
        self._pattern: re.Pattern[str] | None = None
        self._lookup: dict[str, str] = {}

    def digest(self, host: str) -> str:
        return hmac.new(self._key, host.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def add(self, host: str, kind: str) -> None:
        key = host.strip().strip("[]").lower()
        if not key or key in self._names or _PLACEHOLDER.match(key):
            return
        placeholder = self._known.get(self.digest(key))
        if placeholder is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            placeholder = f"{kind}-{self._counts[kind]}.redacted"
            self._known[self.digest(key)] = placeholder
        self._names[key] = placeholder
        self._pattern = None

    def add_url_hosts(self, text: str, kind: str) -> None:
        for match in _URL_HOST.finditer(text):
            host = match.group(1).strip("[]").lower()
            if host not in DOCUMENTATION_HOSTS:
                self.add(host, kind)

    def scrub(self, text: str) -> str:
        if not text or not self._names:
            return text
        return self._compiled().sub(self._placeholder, text)

    def state(self) -> dict[str, Any]:
        """What :func:`save_host_map` keeps: the key and the hashed assignments."""
        return {"key": self._key.hex(), "hosts": dict(sorted(self._known.items()))}

    def _variants(self) -> dict[str, str]:
        # kubectl-style context names spell the host with dashes (api-ocp-example-com).
        variants = dict(self._names)
        for host, placeholder in self._names.items():
            if "." in host:
                variants.setdefault(host.replace(".", "-"), placeholder.replace(".", "-"))
        return variants

    def _compiled(self) -> re.Pattern[str]:
        if self._pattern is None:
            # Longest first, so "api.example.com" wins over "example.com"; the lookarounds stop
            # "10.0.0.5" matching inside "10.0.0.50" or "host" inside "host-b". A following dot
            # is allowed: "api.example.com.yaml" (a kubeconfig path) names the host too.
            self._lookup = self._variants()
            names = sorted(self._lookup, key=len, reverse=True)
            alternatives = "|".join(re.escape(name) for name in names)
            self._pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
        return self._pattern

    def _placeholder(self, match: re.Match[str]) -> str:
        return self._lookup[match.group(0).lower()]


def redact(report: Report, hosts: HostMap | None = None) -> Report:
    """A copy of ``report`` with every server host (and every other host) replaced."""
    data = report.to_dict()
    hosts = hosts if hosts is not None else HostMap()
    collect_hosts(data, hosts)
    scrubbed = {
        key: value if key in PUBLIC_KEYS else _redact_value(value, hosts.scrub)
        for key, value in data.items()
    }
    return Report.from_dict(scrubbed)


def collect_hosts(data: Mapping[str, Any], hosts: HostMap) -> HostMap:
    """Cluster servers first (``cluster-N``, in report order), then the hosts of every other
    URL in the report and the scanning machine's name (``host-N``)."""
    clusters = data.get("clusters") or []
    for cluster in clusters:
        hosts.add(_server_host(str(cluster.get("server") or "")), "cluster")
    for key, value in data.items():
        if key not in PUBLIC_KEYS:
            for text in _strings(value):
                hosts.add_url_hosts(text, "host")
    machine = (data.get("metadata") or {}).get("host")
    if isinstance(machine, str):
        hosts.add(machine, "host")
    return hosts


def _strings(value: Any) -> Iterator[str]:
    """Every string of a JSON-like value, mapping keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _server_host(server: str) -> str:
    if not server:
        return ""
    # urlsplit only finds a host after "//"; kubeconfigs sometimes omit the scheme.
    try:
        return urlsplit(server if "//" in server else "//" + server).hostname or ""
    except ValueError:
        return ""


def _redact_value(value: Any, scrub: Callable[[str], str]) -> Any:
    """Strings anywhere in a JSON-like value, mapping keys included."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {scrub(str(key)): _redact_value(item, scrub) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item, scrub) for item in value]
    return value


def load_host_map(directory: str) -> HostMap:
    """The placeholders earlier redacted runs in ``directory`` gave, so hosts keep them. A
    missing or unreadable file starts afresh (the run then numbers from 1)."""
    try:
        with open(os.path.join(directory, MAP_FILE), encoding="utf-8") as handle:
            state = json.load(handle)
        key = bytes.fromhex(str(state["key"]))
        known = {str(k): str(v) for k, v in dict(state["hosts"]).items()}
    except (OSError, ValueError, KeyError, TypeError):
        return HostMap()
    return HostMap(key, known)


def save_host_map(directory: str, hosts: HostMap) -> None:
    """Keep the placeholders for the next run (hashes only, never a host), private to the
    user: with the key, a guessed host name could be checked against the hashes."""
    path = os.path.join(directory, MAP_FILE)
    write_atomic(path, json.dumps(hosts.state(), indent=1) + "\n", mode=0o600)
