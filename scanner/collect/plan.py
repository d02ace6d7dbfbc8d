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
from scanner.kube.fanout import fan_out
from scanner.kube.reader import Reader, dig
from scanner.kube.resources import METRICS_PATH, PDBS
from scanner.model import DeprecatedRequest, DisruptionBudget, PlanInputs

METRICS_BODY_LIMIT = 256 << 20  # a large API server's /metrics is tens of MB; read streamed
DEPRECATED_FAMILY = b"apiserver_requested_deprecated_apis{"
START_TIME = b"process_start_time_seconds "  # the API server's start: usage counted since
PDB_BODY_LIMIT = 32 << 20  # one page
_LABEL = re.compile(rb'(\w+)="((?:[^"\\]|\\.)*)"')


def read_plan_inputs(reader: Reader) -> PlanInputs:
    """The plan's three reads at once, within the reader's deadline."""
    results = fan_out(
        {
            "requested": lambda: requested_deprecated(reader),  # with the server's start
            "served": lambda: served_group_versions(api_groups(reader)),
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
    requested, since = metrics if metrics is not None else (None, None)
    served, served_error = part("served")
    budgets, budgets_error = part("budgets")
    return PlanInputs(
        requested, requested_error, served, served_error, budgets, budgets_error, since
    )


def requested_deprecated(reader: Reader) -> tuple[tuple[DeprecatedRequest, ...], float | None]:
    """The deprecated APIs clients requested, and since when the API server counted them
    (its ``process_start_time_seconds``, from the same stream; None if it has none)."""
    lines = reader.get_lines(
        METRICS_PATH, prefix=(DEPRECATED_FAMILY, START_TIME), limit=METRICS_BODY_LIMIT
    )
    families = [line for line in lines if line.startswith(DEPRECATED_FAMILY)]
    return parse_deprecated(families), parse_start_time(lines)


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
    requests; a series with value 0 (none since the last restart) is not a request."""
    found: dict[tuple[str, ...], DeprecatedRequest] = {}
    for line in lines:
        labels_end = line.rfind(b"}")
        value = line[labels_end + 1 :].strip().split(b" ")[0] if labels_end > 0 else b""
        try:
            if float(value) <= 0:
                continue
        except ValueError:
            continue
        labels = {
            key.decode(): text.decode("utf-8", "replace")
            for key, text in _LABEL.findall(line[:labels_end])
        }
        request = DeprecatedRequest(
            group=labels.get("group", ""),
            version=labels.get("version", ""),
            resource=labels.get("resource", ""),
            subresource=labels.get("subresource", ""),
            removed_release=labels.get("removed_release", ""),
        )
        if request.version and request.resource:
            found.setdefault(
                (request.group, request.version, request.resource, request.subresource), request
            )
    return tuple(found.values())


def disruption_budgets(reader: Reader) -> tuple[DisruptionBudget, ...]:
    budgets = []
    for item in reader.list_items(PDBS.path(), limit=PDB_BODY_LIMIT):
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
