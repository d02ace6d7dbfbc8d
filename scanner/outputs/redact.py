"""Redaction of a report before it leaves the team (vendor support case, public issue).

Every API server host becomes a stable placeholder, ``https://cluster-1.redacted:6443``,
numbered by first appearance in the report, so two clusters stay distinguishable and the same
host reads the same everywhere: server, context name (``oc login`` writes the host dashed,
``api-ocp-example-com``), finding messages, remediation, error messages, notes and metadata
(command line). Hosts of other URLs in error messages (proxies, token issuers) and the
scanning machine's name are replaced too. The policy reference is public data and is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from scanner.model import Finding, Preflight
from scanner.report import ClusterResult, PlatformInfo, Report

_URL_HOST = re.compile(
    r"\b[a-z][a-z0-9+.-]*://(?:[^@/\s]*@)?(\[[0-9a-f:.]+\]|[^/\s:\"'<>?#]+)", re.I
)


class HostMap:
    """Host name -> placeholder, in order of first appearance; replaces them in any text."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lookup: dict[str, str] = {}

    def add(self, host: str, kind: str) -> None:
        key = host.strip().strip("[]").lower()
        if key and key not in self._names:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._names[key] = f"{kind}-{self._counts[kind]}.redacted"
            self._pattern = None

    def add_url_hosts(self, text: str, kind: str) -> None:
        for match in _URL_HOST.finditer(text):
            self.add(match.group(1), kind)

    def scrub(self, text: str) -> str:
        if not text or not self._names:
            return text
        return self._compiled().sub(self._placeholder, text)

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


def redact(report: Report) -> Report:
    """A copy of ``report`` with every server host (and related host) replaced."""
    hosts = collect_hosts(report)
    scrub = hosts.scrub
    return replace(
        report,
        clusters=tuple(_redact_cluster(cluster, scrub) for cluster in report.clusters),
        notes=tuple(scrub(note) for note in report.notes),
        metadata=_redact_value(dict(report.metadata), scrub),
        platform=_redact_platform(report.platform, scrub) if report.platform else None,
    )


def collect_hosts(report: Report) -> HostMap:
    hosts = HostMap()
    for cluster in report.clusters:
        hosts.add(_server_host(cluster.server), "cluster")
    for cluster in report.clusters:
        if cluster.error:
            hosts.add_url_hosts(cluster.error.message, "host")
    for note in report.platform.notes if report.platform else ():
        hosts.add_url_hosts(note, "host")
    machine = report.metadata.get("host")
    if isinstance(machine, str):
        hosts.add(machine, "host")
    return hosts


def _server_host(server: str) -> str:
    if not server:
        return ""
    # urlsplit only finds a host after "//"; kubeconfigs sometimes omit the scheme.
    return urlsplit(server if "//" in server else "//" + server).hostname or ""


def _redact_cluster(cluster: ClusterResult, scrub: Callable[[str], str]) -> ClusterResult:
    error = cluster.error
    return replace(
        cluster,
        context=scrub(cluster.context),
        name=scrub(cluster.name),
        server=scrub(cluster.server),
        owner=scrub(cluster.owner),
        notes=scrub(cluster.notes),
        error=replace(error, message=scrub(error.message)) if error else None,
        findings=tuple(_redact_finding(f, scrub) for f in cluster.findings),
    )


def _redact_platform(platform: PlatformInfo, scrub: Callable[[str], str]) -> PlatformInfo:
    """Platform notes and the preflight's words may name hosts (a check about a node)."""
    preflight = platform.preflight
    if preflight is not None:
        checks = tuple(
            replace(check, reason=scrub(check.reason), message=scrub(check.message))
            for check in preflight.checks
        )
        preflight = Preflight(preflight.observed_at, checks)
    notes = tuple(scrub(note) for note in platform.notes)
    return replace(platform, notes=notes, preflight=preflight)


def _redact_finding(finding: Finding, scrub: Callable[[str], str]) -> Finding:
    return replace(
        finding,
        id=scrub(finding.id),
        message=scrub(finding.message),
        remediation=scrub(finding.remediation),
    )


def _redact_value(value: Any, scrub: Callable[[str], str]) -> Any:
    """Strings anywhere in JSON-like metadata (command line, paths, lists)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _redact_value(item, scrub) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item, scrub) for item in value]
    return value
