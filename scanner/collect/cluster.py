"""One cluster's reads: ``/version`` and, beside it, the node list; for a cluster that must
move, the upgrade plan's reads (:mod:`scanner.collect.plan`)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner import defaults
from scanner.collect.plan import read_plan_inputs
from scanner.inputs.targets import Target
from scanner.kube.client import ClientFactory, ConfigProblem
from scanner.kube.errors import FetchError
from scanner.kube.fanout import GRACE, Pending
from scanner.kube.reader import Reader, ReadOptions, dig
from scanner.kube.resources import NODES, VERSION_PATH
from scanner.model import ErrorCategory, NodeSummary, Observation, ScanError
from scanner.versions import KubeVersion, VersionError, parse_version_info

log = logging.getLogger(__name__)

# Whether a cluster at this version needs an upgrade plan (its path is not empty).
PlanGoal = Callable[[KubeVersion], bool]

VERSION_BODY_LIMIT = 1 << 20  # a /version document is a few hundred bytes
NODES_BODY_LIMIT = 64 << 20  # one page of at most `page_size` nodes


@dataclass(frozen=True)
class CollectOptions(ReadOptions):
    """The read options plus what collection adds: clusters at once, and nodes or not."""

    concurrency: int = defaults.CONCURRENCY
    nodes: bool = True


class KubeCollector:
    """Collects ``/version`` and, optionally, the node list through the kubernetes client."""

    def __init__(self, options: CollectOptions, plan_goal: PlanGoal | None = None) -> None:
        self.options = options
        self._plan_goal = plan_goal
        # A cluster reads /version and nodes at once: two connections per cluster in flight.
        self._factory = ClientFactory(options.timeout, pool_size=2 * options.concurrency)

    def close(self) -> None:
        self._factory.close()

    def __call__(self, target: Target) -> Observation:
        started = time.monotonic()
        try:
            connection = self._factory.build(target)
        except ConfigProblem as exc:
            return _failed(target, ScanError(ErrorCategory.CONFIG, str(exc)), started)
        reader = Reader(
            connection.api_client,
            connection.secrets,
            self.options,
            started + self.options.budget,
            connection.prefix,
        )
        users = 2 if self.options.nodes else 1
        shared = _SharedClient(None if connection.shared else connection.api_client, users)
        # The node list is fetched beside /version, not after it: a cluster then costs one
        # round trip of latency instead of two, which is most of a large fleet's scan time.
        nodes = (
            Pending(_released(lambda: list_nodes(reader), shared), "nodes") if users > 1 else None
        )
        try:
            version = read_version(reader)
            # Only a cluster that must move is asked the plan's reads (beside the nodes).
            needs_plan = self._plan_goal is not None and self._plan_goal(version)
            plan_inputs = read_plan_inputs(reader) if needs_plan else None
        except FetchError as exc:
            return _failed(target, exc.as_scan_error(), started)  # nodes finish on their own
        finally:
            shared.release()
        summary, nodes_error = (
            _nodes_of(nodes.wait(reader.deadline + GRACE)) if nodes else (None, None)
        )
        log.debug("%s: %s in %.2fs", target.context, version.git_version, _since(started))
        return Observation(
            target.context,
            version=version,
            nodes=summary,
            nodes_error=nodes_error,
            duration_seconds=_since(started),
            plan_inputs=plan_inputs,
        )


def read_version(reader: Reader) -> KubeVersion:
    document = reader.get_json(VERSION_PATH, limit=VERSION_BODY_LIMIT)
    try:
        return parse_version_info(document)
    except VersionError as exc:
        raise FetchError(ErrorCategory.INVALID_RESPONSE, f"/version: {exc}") from None


def list_nodes(reader: Reader) -> NodeSummary:
    """The node list reduced to counts by kubelet version and container runtime."""
    kubelets: Counter[str] = Counter()
    runtimes: Counter[str] = Counter()
    count = 0
    for item in reader.list_items(NODES.path(), limit=NODES_BODY_LIMIT):
        info = dig(item, "status", "nodeInfo")
        count += 1
        kubelets[str(info.get("kubeletVersion") or "unknown")] += 1
        runtimes[str(info.get("containerRuntimeVersion") or "unknown")] += 1
    return NodeSummary(count, dict(kubelets), dict(runtimes))


def _nodes_of(
    result: NodeSummary | FetchError | None,
) -> tuple[NodeSummary | None, ScanError | None]:
    if result is None:
        return None, ScanError(ErrorCategory.TIMEOUT, "node list not complete within the budget")
    if isinstance(result, FetchError):
        return None, result.as_scan_error()
    return result, None


class _SharedClient:
    """One api client used by the version and node requests; the last user closes it."""

    def __init__(self, api_client: Any | None, users: int) -> None:
        self.api_client = api_client
        self._users = users
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._users == 0
        if last and self.api_client is not None:  # None: the factory's pooled client
            self.api_client.close()


def _released(read: Callable[[], NodeSummary], shared: _SharedClient) -> Callable[[], NodeSummary]:
    def run() -> NodeSummary:
        try:
            return read()
        finally:
            shared.release()

    return run


def _failed(target: Target, error: ScanError, started: float) -> Observation:
    log.debug("%s: %s: %s", target.context, error.category.value, error.message)
    return Observation(target.context, error=error, duration_seconds=_since(started))


def _since(started: float) -> float:
    return time.monotonic() - started
