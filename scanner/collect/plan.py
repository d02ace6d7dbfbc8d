"""The reads of an upgrade plan, for a cluster that must move: the deprecated-API family of
``/metrics`` (streamed), the group/versions ``/apis`` serves, and the PodDisruptionBudgets.
Each that fails is kept as its reason (a 403 on ``/metrics`` is common): "usage unknown",
never "none"."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from scanner.kube.discovery import api_groups, served_group_versions
from scanner.kube.errors import FetchError
from scanner.kube.fanout import in_turn
from scanner.kube.reader import Reader, dig
from scanner.kube.resources import METRICS_PATH, PDBS
from scanner.model import DeprecatedRequest, DisruptionBudget, PlanInputs

METRICS_BODY_LIMIT = 256 << 20  # a large API server's /metrics is tens of MB; read streamed
DEPRECATED_FAMILY = b"apiserver_requested_deprecated_apis{"
START_TIME = b"process_start_time_seconds "  # the API server's start: usage counted since
PDB_BODY_LIMIT = 32 << 20  # one page
_LABEL = re.compile(rb'(\w+)="([^"\\]*(?:\\.[^"\\]*)*)"')  # unrolled: fast


async def read_plan_inputs(reader: Reader) -> PlanInputs:
    """The plan's three reads, one after the other on the cluster's connection, within the
    reader's deadline."""
    results = await in_turn(
        {
            "requested": lambda: requested_deprecated(reader),  # with the server's start
            "served": lambda: _served(reader),
            "budgets": lambda: disruption_budgets(reader),
        },
        reader.deadline,
    )

    def part(name: str) -> tuple[Any, str]:
        found = results.get(name)
        if found is None:
            return None, "no answer within the budget"
        if isinstance(found, FetchError):
            return None, f"{found.category.value}: {found.message}"
        return found, ""

    metrics, requested_error = part("requested")
    requested, since, dropped = metrics if metrics is not None else (None, None, 0)
    served, served_error = part("served")
    budgets, budgets_error = part("budgets")
    return PlanInputs(
        requested, requested_error, served, served_error, budgets, budgets_error, since, dropped
    )


async def _served(reader: Reader) -> frozenset[str]:
    return served_group_versions(await api_groups(reader))


async def requested_deprecated(
    reader: Reader,
) -> tuple[tuple[DeprecatedRequest, ...], float | None, int]:
    """The deprecated APIs clients requested (one per group/version/resource), since when
    the API server counted them (its ``process_start_time_seconds``, from the same stream;
    None if it has none), and how many series of resources over the cap were not kept."""
    tally = await reader.fold_lines(
        METRICS_PATH,
        prefix=(DEPRECATED_FAMILY, START_TIME),
        limit=METRICS_BODY_LIMIT,
        start=DeprecatedTally,
    )
    return tally.requests(), tally.started, tally.dropped


RESOURCES_KEPT = 1_000  # distinct group/version/resource kept per cluster; more are counted
SUBRESOURCES_NAMED = 20  # paths (the resource, its subresources) named per resource


class DeprecatedTally:
    """The deprecated-API family folded as it streams: one request per group, version and
    resource (what was requested named, its series counted). The first ``RESOURCES_KEPT``
    resources seen are kept (every removal Kubernetes ever made is about 50); any more are
    counted (their series), not kept, and the plan says how many."""

    def __init__(self) -> None:
        self.found: dict[tuple[bytes, bytes, bytes], _Resource] = {}
        self.dropped = 0  # series of resources beyond the ones kept (counted, not held)
        self.started: float | None = None

    def add(self, line: bytes) -> None:
        if line.startswith(START_TIME):
            self.started = self.started or parse_start_time([line])
            return
        key = (_value(line, b'group="'), _value(line, b'version="'), _value(line, b'resource="'))
        kept = self.found.get(key)
        if kept is None and len(self.found) >= RESOURCES_KEPT:
            if _requested(line):
                self.dropped += 1  # counted from three finds: a million of them stay cheap
            return
        labels = _series_labels(line)
        if labels is None:
            return
        request = _request(labels)
        if request is None:
            return
        if kept is None:
            kept = self.found[key] = _Resource(request)
        kept.add(request)

    def requests(self) -> tuple[DeprecatedRequest, ...]:
        return tuple(resource.request() for resource in self.found.values())


class _Resource:
    def __init__(self, first: DeprecatedRequest) -> None:
        self.first = first
        self.paths: dict[str, None] = {}
        self.series = 0
        self.removed_release = first.removed_release

    def add(self, request: DeprecatedRequest) -> None:
        self.series += 1
        self.removed_release = self.removed_release or request.removed_release
        for path in request.paths:
            if len(self.paths) < SUBRESOURCES_NAMED:
                self.paths.setdefault(path)

    def request(self) -> DeprecatedRequest:
        return DeprecatedRequest(
            self.first.group,
            self.first.version,
            self.first.resource,
            tuple(self.paths),
            self.removed_release,
            self.series,
        )


def parse_start_time(lines: Sequence[bytes]) -> float | None:
    for line in lines:
        if line.startswith(START_TIME):
            try:
                value = float(line[len(START_TIME) :].split()[0])
            except (ValueError, IndexError):
                return None
            return value if math.isfinite(value) and value > 0 else None
    return None


def parse_deprecated(lines: Sequence[bytes]) -> tuple[DeprecatedRequest, ...]:
    """``apiserver_requested_deprecated_apis{group=...,version=...,resource=...} 1`` lines as
    requests, one per group/version/resource; a series with value 0 (none since the last
    restart) is not a request."""
    tally = DeprecatedTally()
    for line in lines:
        tally.add(line)
    return tally.requests()


def parse_series(line: bytes) -> DeprecatedRequest | None:
    """One series of the family, or None (value 0, unparseable, no version or resource)."""
    labels = _series_labels(line)
    return _request(labels) if labels is not None else None


def _series_labels(line: bytes) -> dict[bytes, bytes] | None:
    """The labels of a series whose value is above 0 (a request since the start)."""
    if not _requested(line):
        return None
    return dict(_LABEL.findall(line[: line.rfind(b"}")]))


def _requested(line: bytes) -> bool:
    """Whether the series' value is above 0."""
    labels_end = line.rfind(b"}")
    value = line[labels_end + 1 :].strip().split(b" ")[0] if labels_end > 0 else b""
    try:
        return float(value) > 0
    except ValueError:
        return False


def _value(line: bytes, label: bytes) -> bytes:
    """A label's raw value found by position (``,group="`` or ``{group="``): the key of a
    series without parsing every label; an escaped quote ends it early, which only makes
    the key differ from the full parse's (the key is used for grouping, never shown)."""
    for start in (line.find(b"{" + label), line.find(b"," + label)):
        if start >= 0:
            begin = start + 1 + len(label)
            end = line.find(b'"', begin)
            return line[begin:end] if end >= 0 else b""
    return b""


def _request(labels: dict[bytes, bytes]) -> DeprecatedRequest | None:
    def label(name: bytes) -> str:
        return labels.get(name, b"").decode("utf-8", "replace")

    resource, sub = label(b"resource"), label(b"subresource")
    request = DeprecatedRequest(
        group=label(b"group"),
        version=label(b"version"),
        resource=resource,
        paths=(f"{resource}/{sub}" if sub else resource,),
        removed_release=label(b"removed_release"),
    )
    return request if request.version and request.resource else None


async def disruption_budgets(reader: Reader) -> tuple[DisruptionBudget, ...]:
    budgets = []
    for item in await reader.list_items(PDBS.path(), limit=PDB_BODY_LIMIT):
        meta, status = dig(item, "metadata"), dig(item, "status")
        budgets.append(
            DisruptionBudget(
                namespace=str(meta.get("namespace") or ""),
                name=str(meta.get("name") or ""),
                disruptions_allowed=_count(status.get("disruptionsAllowed")),
                expected_pods=_count(status.get("expectedPods")),
            )
        )
    return tuple(budgets)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
