"""Collection: the network seam. A :data:`Collector` turns one target into an observation.

:class:`~scanner.collect.cluster.KubeCollector` is the real one (the kubernetes client over
HTTPS); :class:`FleetCollector` runs it over a fleet, and is what the pipeline is given
(tests of the pipeline, evaluation and rendering pass plain observations instead).
:func:`collect_all` runs a collector over many targets on a bounded pool of daemon threads
and guarantees that no target holds the scan longer than its budget, whatever the network
does.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from scanner.collect.cluster import CollectOptions, KubeCollector, PlanGoal
from scanner.inputs.targets import Target
from scanner.kube.reader import BUDGET_MARGIN
from scanner.model import ErrorCategory, Observation, ScanError

__all__ = [
    "BUDGET_MARGIN",
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
        plan_goal: PlanGoal | None = None,
        progress: Progress | None = None,
    ) -> list[Observation]:
        kube = KubeCollector(self.options, plan_goal)
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
    Only the supervising loop (this function) reads or writes its bookkeeping: workers send
    every start and every result as an event on one queue, so no state is shared with them.
    """
    total = len(targets)
    jobs: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(total):
        jobs.put(index)
    events: queue.SimpleQueue[tuple[int, float, Observation | None]] = queue.SimpleQueue()

    def work() -> None:
        while True:
            try:
                index = jobs.get_nowait()
            except queue.Empty:
                return
            events.put((index, time.monotonic(), None))  # started
            events.put((index, 0.0, _guarded(collector, targets[index])))

    def spawn() -> None:
        threading.Thread(target=work, name="collect", daemon=True).start()

    for _ in range(min(max(concurrency, 1), total)):
        spawn()
    done: dict[int, Observation] = {}
    running: dict[int, float] = {}  # index -> when its worker started it
    limit = budget + BUDGET_MARGIN
    checked = time.monotonic()
    while len(done) < total:
        try:
            index, began, observation = events.get(timeout=0.1)
            if observation is None:
                running[index] = began
            elif index not in done:
                running.pop(index, None)
                done[index] = observation
                _report(progress, len(done), total)
        except queue.Empty:
            pass
        now = time.monotonic()
        if now - checked < 0.1:
            continue  # a busy queue must not delay the budget check, nor run it every event
        checked = now
        for index in [i for i, began in running.items() if now - began > limit]:
            began = running.pop(index)
            done[index] = Observation(
                targets[index].context,
                error=ScanError(ErrorCategory.TIMEOUT, f"no answer within the {budget:g}s budget"),
                duration_seconds=now - began,
            )
            _report(progress, len(done), total)
            spawn()
    return [done[index] for index in range(total)]


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


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
