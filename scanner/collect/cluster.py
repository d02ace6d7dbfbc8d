"""One cluster's reads, one after the other over its one connection: ``/version``, the node
list, its ResourcePatches, and for a cluster that must move the upgrade plan's reads
(:mod:`scanner.collect.plan`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from scanner import defaults
from scanner.collect.patches import read_resource_patches
from scanner.collect.plan import read_plan_inputs
from scanner.inputs.targets import Target
from scanner.kube import loop
from scanner.kube.channel import Channel, Endpoint
from scanner.kube.client import ClientFactory, ConfigProblem, blocks
from scanner.kube.errors import FetchError
from scanner.kube.fanout import GRACE
from scanner.kube.reader import BodySlots, Reader, ReadOptions, dig
from scanner.kube.resources import NODES, VERSION_PATH
from scanner.model import ErrorCategory, NodeSummary, Observation, ScanError
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
PROXY_POOL = 96  # connections of the one pool every cluster behind a platform proxy shares


@dataclass(frozen=True)
class CollectOptions(ReadOptions):
    """The read options plus what collection adds: clusters at once, and nodes or not."""

    concurrency: int = defaults.CONCURRENCY
    nodes: bool = True


class KubeCollector:
    """Collects one cluster: its endpoint built off the loop (an exec plugin is a process),
    then every read over the cluster's one keep-alive connection, within its budget."""

    def __init__(self, options: CollectOptions, asks: Asks | None = None) -> None:
        self.options = options
        self._asks = asks or Asks()
        self._factory = ClientFactory(options.timeout)
        self._pools: dict[tuple[object, ...], Channel] = {}  # behind a platform proxy
        self._slots = BodySlots()  # the fleet's bound on large bodies held at once

    def __call__(self, target: Target) -> Observation:
        """One cluster, from outside the loop (library use and tests)."""
        return loop.run(self.collect(target))

    def close(self) -> None:
        loop.run(self.aclose())

    async def aclose(self) -> None:
        for channel in self._pools.values():
            await channel.close()
        self._pools.clear()
        self._factory.close()

    async def collect(self, target: Target) -> Observation:
        started = time.monotonic()
        try:
            endpoint = await self._endpoint(target)
        except ConfigProblem as exc:
            return _failed(target, ScanError(ErrorCategory.CONFIG, str(exc)), started)
        except FetchError as exc:
            return _failed(target, exc.as_scan_error(), started)
        channel, own = self._channel(endpoint)
        deadline = started + self.options.budget
        reader = Reader(channel, self.options, deadline, endpoint, self._slots)
        try:
            return await self._read(target, reader, started)
        finally:
            if own:
                await channel.close()

    async def _endpoint(self, target: Target) -> Endpoint:
        """Built on the loop when everything is in the kubeconfig (microseconds, the TLS
        context cached per CA); in a worker thread when it names a file or an exec plugin,
        which the loop must not wait on."""
        if blocks(target):
            return await asyncio.to_thread(self._factory.build, target)
        return self._factory.build(target)

    def _channel(self, endpoint: Endpoint) -> tuple[Channel, bool]:
        """The cluster's own channel (one connection), or the platform proxy's shared pool."""
        if endpoint.pool_key is None:
            return Channel(endpoint), True
        pool = self._pools.get(endpoint.pool_key)
        if pool is None:
            pool = self._pools[endpoint.pool_key] = Channel(endpoint, limit=PROXY_POOL)
        return pool, False

    async def _read(self, target: Target, reader: Reader, started: float) -> Observation:
        asks = self._asks
        try:
            version = await read_version(reader)
        except FetchError as exc:
            return _failed(target, exc.as_scan_error(), started)
        summary, nodes_error = None, None
        if self.options.nodes:
            summary, nodes_error = await _part(list_nodes(reader), reader.deadline)
        patched, patches_error = None, "not asked"
        if asks.patches:
            patched, failure = await _part(read_resource_patches(reader), reader.deadline)
            patches_error = f"{failure.category.value}: {failure.message}" if failure else ""
        # Only a cluster that must move is asked the plan's reads.
        plan_inputs = None
        if asks.plan_goal is not None and asks.plan_goal(version):
            plan_inputs = await read_plan_inputs(reader)
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


async def _part(read: Awaitable[_T], deadline: float) -> tuple[_T | None, ScanError | None]:
    """A read after ``/version`` answered: its result, or why there is none (the cluster
    keeps its version either way)."""
    try:
        async with asyncio.timeout_at(deadline + GRACE):
            return await read, None
    except FetchError as exc:
        return None, exc.as_scan_error()
    except TimeoutError:
        return None, ScanError(ErrorCategory.TIMEOUT, "not complete within the budget")


async def read_version(reader: Reader) -> KubeVersion:
    document = await reader.get_json(VERSION_PATH, limit=VERSION_BODY_LIMIT)
    try:
        return parse_version_info(document)
    except VersionError as exc:
        raise FetchError(ErrorCategory.INVALID_RESPONSE, f"/version: {exc}") from None


async def list_nodes(reader: Reader) -> NodeSummary:
    """The node list reduced to counts: by kubelet version, container runtime, kernel and
    OS image, and the nodes whose Ready condition is not True (a node without one is not
    known to be Ready, so it counts)."""
    counts: dict[str, Counter[str]] = {key: Counter() for key in _NODE_INFO}
    count = not_ready = 0
    async for page in reader.pages(NODES.path(), limit=NODES_BODY_LIMIT):
        for item in page:  # folded a page at a time: one page held, never the whole list
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


def _failed(target: Target, error: ScanError, started: float) -> Observation:
    log.debug("%s: %s: %s", target.context, error.category.value, error.message)
    return Observation(target.context, error=error, duration_seconds=_since(started))


def _since(started: float) -> float:
    return time.monotonic() - started
