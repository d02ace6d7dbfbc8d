"""Collection: the network seam. A :data:`Collector` turns one target into an observation.

:class:`~scanner.collect.cluster.KubeCollector` is the real one (HTTPS over one keep-alive
connection per cluster); :class:`FleetCollector` runs it over a fleet on the scanner's one
event loop, and is what the pipeline is given (tests of the pipeline, evaluation and
rendering pass plain observations instead). :func:`collect_all` runs a collector over many
targets, at most ``concurrency`` at once, and guarantees that no target holds the scan
longer than its budget, whatever the network does: a cluster past it is cancelled and
recorded as a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager

from scanner.collect.cluster import PROXY_POOL, Asks, CollectOptions, KubeCollector, PlanGoal
from scanner.inputs.targets import Target
from scanner.kube import loop
from scanner.kube.client import pool_key
from scanner.kube.reader import BUDGET_MARGIN
from scanner.model import ErrorCategory, Observation, ScanError

__all__ = [
    "BUDGET_MARGIN",
    "Asks",
    "CollectOptions",
    "Collector",
    "FleetCollector",
    "KubeCollector",
    "Lanes",
    "PlanGoal",
    "Progress",
    "collect_all",
]

log = logging.getLogger(__name__)

Collector = Callable[[Target], Awaitable[Observation]]
Progress = Callable[[int, int], None]


class FleetCollector:
    """The fleet seam the pipeline is given: every target through the real client, at most
    ``concurrency`` clusters at once on the one event loop, each within its budget."""

    def __init__(self, options: CollectOptions) -> None:
        self.options = options

    def __call__(
        self,
        targets: Sequence[Target],
        asks: Asks | None = None,
        progress: Progress | None = None,
    ) -> list[Observation]:
        return loop.run(self.collect(targets, asks, progress))

    async def collect(
        self,
        targets: Sequence[Target],
        asks: Asks | None = None,
        progress: Progress | None = None,
    ) -> list[Observation]:
        kube = KubeCollector(self.options, asks)
        try:
            return await collect_all(
                targets,
                kube.collect,
                concurrency=fit_open_files(min(self.options.concurrency, len(targets))),
                budget=self.options.budget,
                progress=progress,
                lane=Lanes(pool_key, PROXY_POOL),
            )
        finally:
            await kube.aclose()


OTHER_FILES = 192  # descriptors beside the clusters' sockets: the proxy pool, exec pipes, files


def fit_open_files(concurrency: int) -> int:
    """The concurrency the process's open-file limit allows: each cluster in flight holds
    one socket. A soft limit below what is needed is raised toward the hard limit (as a
    shell's ``ulimit -n`` may); if even the hard limit is too low, fewer clusters are
    scanned at once, with a warning, rather than clusters failing with "too many open files"."""
    need = concurrency + OTHER_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return concurrency
    raised = need if hard == resource.RLIM_INFINITY else min(hard, need)
    if raised > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (OSError, ValueError):
            pass
    if soft >= need:
        return concurrency
    fitted = max(1, soft - OTHER_FILES)
    log.warning(
        "the open-file limit is %d (ulimit -n): scanning %d clusters at once instead of %d",
        soft,
        fitted,
        concurrency,
    )
    return fitted


class Lanes:
    """Clusters that share one connection pool (behind one platform proxy) take turns in it:
    at most ``width`` of them run at once, each with a connection of the pool to itself, and
    a cluster's budget starts when its turn does. Without lanes, 256 clusters in flight over
    64 pooled connections spent their budgets queueing for a connection ("connect timed
    out") and each cancelled wait cost the pool a connection and a new handshake."""

    def __init__(self, key: Callable[[Target], Hashable | None], width: int) -> None:
        self._key = key
        self._width = width
        self._gates: dict[Hashable, asyncio.Semaphore] = {}

    def of(self, target: Target) -> AbstractAsyncContextManager[object]:
        key = self._key(target)
        if key is None:
            return contextlib.nullcontext()
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = asyncio.Semaphore(self._width)
        return gate


async def collect_all(
    targets: Sequence[Target],
    collector: Collector,
    *,
    concurrency: int,
    budget: float,
    progress: Progress | None = None,
    lane: Lanes | None = None,
) -> list[Observation]:
    """Run ``collector`` over ``targets``; one observation per target, in target order.

    A target still running past its budget (plus a margin) is cancelled and recorded as a
    timeout; a collector that fails is recorded as an error of its target alone. A target in
    a ``lane`` waits for its turn there first (its budget has not started)."""
    gate = asyncio.Semaphore(max(1, concurrency))
    total = len(targets)
    finished = 0

    async def one(target: Target) -> Observation:
        nonlocal finished
        async with lane.of(target) if lane else contextlib.nullcontext(), gate:
            began = time.monotonic()
            try:
                async with asyncio.timeout(budget + BUDGET_MARGIN):
                    observation = await _guarded(collector, target)
            except TimeoutError:
                message = f"no answer within the {budget:g}s budget"
                observation = Observation(
                    target.context,
                    error=ScanError(ErrorCategory.TIMEOUT, message),
                    duration_seconds=time.monotonic() - began,
                )
        finished += 1
        if progress is not None:
            progress(finished, total)
        return observation

    return list(await asyncio.gather(*(one(target) for target in targets)))


async def _guarded(collector: Collector, target: Target) -> Observation:
    try:
        return await collector(target)
    except Exception as exc:  # a bug must not lose the other clusters: keep it as a value
        log.debug("unexpected error collecting %s", target.context, exc_info=True)
        return Observation(
            target.context,
            error=ScanError(
                ErrorCategory.INVALID_RESPONSE,
                f"unexpected {type(exc).__name__} while reading the cluster (please report)",
            ),
        )
