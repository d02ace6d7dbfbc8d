"""One cluster's reads: ``/version`` and, beside it, the node list; for a cluster that must
move, the upgrade plan's reads (:mod:`scanner.collect.plan`)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from scanner import defaults
from scanner.collect.patches import read_resource_patches
from scanner.collect.plan import read_plan_inputs
from scanner.inputs.targets import Target
from scanner.kube.client import ClientFactory, ConfigProblem
from scanner.kube.errors import FetchError
from scanner.kube.fanout import GRACE, Pending
from scanner.kube.reader import Reader, ReadOptions, dig
from scanner.kube.resources import NODES, VERSION_PATH
from scanner.model import ErrorCategory, NodeSummary, Observation, ResourcePatch, ScanError
from scanner.versions import KubeVersion, VersionError, parse_version_info

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Whether a cluster at this version needs an upgrade plan (its path is not empty).
PlanGoal = Callable[[KubeVersion], bool]


@dataclass(frozen=True)
class Asks:
    """What a run asks every cluster beyond ``/version`` and its nodes: the plan's reads for
    the clusters that must move (``plan_goal``), and its ResourcePatches (an upgrade's)."""

    plan_goal: PlanGoal | None = None
    patches: bool = False


VERSION_BODY_LIMIT = 1 << 20  # a /version document is a few hundred bytes
NODES_BODY_LIMIT = 64 << 20  # one page of at most `page_size` nodes


@dataclass(frozen=True)
class CollectOptions(ReadOptions):
    """The read options plus what collection adds: clusters at once, and nodes or not."""

    concurrency: int = defaults.CONCURRENCY
    nodes: bool = True


class KubeCollector:
    """Collects ``/version`` and, optionally, the node list through the kubernetes client."""

    def __init__(self, options: CollectOptions, asks: Asks | None = None) -> None:
        self.options = options
        self._asks = asks or Asks()
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
        asks = self._asks
        users = 1 + int(self.options.nodes) + int(asks.patches)
        shared = _SharedClient(None if connection.shared else connection.api_client, users)
        # The node list (and the patches) are fetched beside /version, not after it: a
        # cluster then costs one round trip of latency instead of two, which is most of a
        # large fleet's scan time.
        nodes = _beside(self.options.nodes, lambda: list_nodes(reader), shared, "nodes")
        patches = _beside(asks.patches, lambda: read_resource_patches(reader), shared, "patches")
        try:
            version = read_version(reader)
            # Only a cluster that must move is asked the plan's reads (beside the nodes).
            needs_plan = asks.plan_goal is not None and asks.plan_goal(version)
            plan_inputs = read_plan_inputs(reader) if needs_plan else None
        except FetchError as exc:
            return _failed(target, exc.as_scan_error(), started)  # the others finish alone
        finally:
            shared.release()
        grace = reader.deadline + GRACE
        summary, nodes_error = _nodes_of(nodes.wait(grace)) if nodes else (None, None)
        patched, patches_error = _patches_of(patches, grace)
        log.debug("%s: %s in %.2fs", target.context, version.git_version, _since(started))
        return Observation(
            target.context,
            version=version,
            nodes=summary,
            nodes_error=nodes_error,
            duration_seconds=_since(started),
            plan_inputs=plan_inputs,
            resource_patches=patched,
            resource_patches_error=patches_error,
        )


def read_version(reader: Reader) -> KubeVersion:
    document = reader.get_json(VERSION_PATH, limit=VERSION_BODY_LIMIT)
    try:
        return parse_version_info(document)
    except VersionError as exc:
        raise FetchError(ErrorCategory.INVALID_RESPONSE, f"/version: {exc}") from None


def list_nodes(reader: Reader) -> NodeSummary:
    """The node list reduced to counts: by kubelet version, container runtime, kernel and
    OS image, and the nodes whose Ready condition is not True (a node without one is not
    known to be Ready, so it counts)."""
    counts: dict[str, Counter[str]] = {key: Counter() for key in _NODE_INFO}
    count = not_ready = 0
    for item in reader.list_items(NODES.path(), limit=NODES_BODY_LIMIT):
        info = dig(item, "status", "nodeInfo")
        count += 1
        for key, field_name in _NODE_INFO.items():
            counts[key][str(info.get(field_name) or "unknown")] += 1
        conditions = dig(item, "status").get("conditions")
        ready = [
            c for c in (conditions if isinstance(conditions, list) else ())
            if isinstance(c, dict) and c.get("type") == "Ready"
        ]  # fmt: skip
        not_ready += not ready or ready[0].get("status") != "True"
    return NodeSummary(
        count,
        dict(counts["kubelet_versions"]),
        dict(counts["container_runtimes"]),
        not_ready=not_ready,
        kernel_versions=dict(counts["kernel_versions"]),
        os_images=dict(counts["os_images"]),
    )


_NODE_INFO = {
    "kubelet_versions": "kubeletVersion",
    "container_runtimes": "containerRuntimeVersion",
    "kernel_versions": "kernelVersion",
    "os_images": "osImage",
}


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


def _beside(
    wanted: bool, read: Callable[[], _T], shared: _SharedClient, name: str
) -> Pending[_T] | None:
    """``read`` on its own thread, releasing the shared client when done; None unless wanted."""
    if not wanted:
        return None

    def run() -> _T:
        try:
            return read()
        finally:
            shared.release()

    return Pending(run, name)


def _patches_of(
    patches: Pending[tuple[ResourcePatch, ...]] | None, deadline: float
) -> tuple[tuple[ResourcePatch, ...] | None, str]:
    if patches is None:
        return None, "not asked"
    result = patches.wait(deadline)
    if result is None:
        return None, "no answer within the budget"
    if isinstance(result, FetchError):
        return None, f"{result.category.value}: {result.message}"
    return result, ""


def _failed(target: Target, error: ScanError, started: float) -> Observation:
    log.debug("%s: %s: %s", target.context, error.category.value, error.message)
    return Observation(target.context, error=error, duration_seconds=_since(started))


def _since(started: float) -> float:
    return time.monotonic() - started
