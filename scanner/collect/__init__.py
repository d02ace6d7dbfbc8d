"""Collection: the network seam. A :data:`Collector` turns one target into an observation.

:class:`~scanner.collect.cluster.KubeCollector` is the real one (the kubernetes client over
HTTPS); :class:`FleetCollector` runs it over a fleet, and is what the pipeline is given
(tests of the pipeline, evaluation and rendering pass plain observations instead).
:func:`collect_all` runs a collector over many targets on a bounded pool of daemon threads
and guarantees that no target holds the scan longer than its budget, whatever the network
does.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from scanner.collect.cluster import Asks, CollectOptions, KubeCollector, PlanGoal
from scanner.inputs.targets import Target
from scanner.kube.reader import BUDGET_MARGIN
from scanner.model import ErrorCategory, Observation, ScanError

__all__ = [
    "BUDGET_MARGIN",
    "Asks",
    "CollectOptions",
    "Collector",
    "FleetCollector",
    "KubeCollector",
    "PlanGoal",
    "Progress",
    "collect_all",
]

log = logging.getLogger(__name__)

Collector = Callable[[Target], Observation]
Progress = Callable[[int, int], None]


class FleetCollector:
    """The fleet seam the pipeline is given: every target through the real client, on a
    pool of ``concurrency`` workers, each cluster within its budget."""

    def __init__(self, options: CollectOptions) -> None:
        self.options = options

    def __call__(
        self,
        targets: Sequence[Target],
        asks: Asks | None = None,
        progress: Progress | None = None,
    ) -> list[Observation]:
        kube = KubeCollector(self.options, asks)
        try:
            return collect_all(
                targets,
                kube,
                concurrency=self.options.concurrency,
                budget=self.options.budget,
                progress=progress,
            )
        finally:
            kube.close()


def collect_all(
    targets: Sequence[Target],
    collector: Collector,
    *,
    concurrency: int,
    budget: float,
    progress: Progress | None = None,
) -> list[Observation]:
    """Run ``collector`` over ``targets``; one observation per target, in target order.

    Workers are daemon threads: a worker stuck past its target's budget (plus a margin) is
    abandoned, its target recorded as a timeout, and a fresh worker takes its place, so a
    pathological cluster can neither hold the scan nor keep the process alive at exit.
    Only the supervising loop reads or writes its bookkeeping: workers send every start and
    every result as an event on one queue, so no state is shared with them.
    """
    pool = _Pool(targets, collector, budget, progress)
    for _ in range(min(max(concurrency, 1), len(targets))):
        pool.spawn()
    return pool.supervise()


_Event = tuple[int, float, Observation | None]  # (index, started at, result; None: started)


class _Pool:
    def __init__(
        self,
        targets: Sequence[Target],
        collector: Collector,
        budget: float,
        progress: Progress | None,
    ) -> None:
        self.targets, self.collector, self.budget = targets, collector, budget
        self.progress = progress
        self.jobs: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(targets)):
            self.jobs.put(index)
        self.events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self.done: dict[int, Observation] = {}
        self.running: dict[int, float] = {}  # index -> when its worker started it

    def spawn(self) -> None:
        threading.Thread(target=self._work, name="collect", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                index = self.jobs.get_nowait()
            except queue.Empty:
                return
            self.events.put((index, time.monotonic(), None))  # started
            self.events.put((index, 0.0, _guarded(self.collector, self.targets[index])))

    def supervise(self) -> list[Observation]:
        total = len(self.targets)
        checked = time.monotonic()
        while len(self.done) < total:
            with contextlib.suppress(queue.Empty):
                self._record(*self.events.get(timeout=0.1))
            now = time.monotonic()
            if now - checked >= 0.1:  # a busy queue must not delay it, nor run it every event
                checked = now
                self._abandon_overruns(now)
        return [self.done[index] for index in range(total)]

    def _record(self, index: int, began: float, observation: Observation | None) -> None:
        if observation is None:
            self.running[index] = began
        elif index not in self.done:
            self.running.pop(index, None)
            self._finish(index, observation)

    def _abandon_overruns(self, now: float) -> None:
        limit = self.budget + BUDGET_MARGIN
        for index in [i for i, began in self.running.items() if now - began > limit]:
            began = self.running.pop(index)
            message = f"no answer within the {self.budget:g}s budget"
            timeout = ScanError(ErrorCategory.TIMEOUT, message)
            self._finish(index, Observation(self.targets[index].context, error=timeout,
                                            duration_seconds=now - began))  # fmt: skip
            self.spawn()

    def _finish(self, index: int, observation: Observation) -> None:
        self.done[index] = observation
        if self.progress is not None:
            self.progress(len(self.done), len(self.targets))


def _guarded(collector: Collector, target: Target) -> Observation:
    try:
        return collector(target)
    except Exception as exc:  # a bug must not lose the other clusters: keep it as a value
        log.debug("unexpected error collecting %s", target.context, exc_info=True)
        return Observation(
            target.context,
            error=ScanError(
                ErrorCategory.INVALID_RESPONSE,
                f"unexpected {type(exc).__name__} while reading the cluster (please report)",
            ),
        )
