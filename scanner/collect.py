"""Collection: the network seam. A :data:`Collector` turns one target into an observation.

:class:`KubeCollector` is the real one (the kubernetes client over HTTPS); tests of
evaluation and rendering pass plain observations instead. :func:`collect_all` runs a
collector over many targets on a bounded pool of daemon threads and guarantees that no
target holds the scan longer than its budget, whatever the network does.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.inputs.targets import Target
from scanner.kube.client import ClientFactory, ConfigProblem
from scanner.kube.errors import FetchError
from scanner.kube.reader import BUDGET_MARGIN, Reader, ReadOptions, dig
from scanner.model import (
    DeprecatedRequest,
    DisruptionBudget,
    ErrorCategory,
    NodeSummary,
    Observation,
    PlanInputs,
    ScanError,
)
from scanner.versions import KubeVersion, VersionError, parse_version_info

__all__ = ["BUDGET_MARGIN", "CollectOptions", "Collector", "KubeCollector", "collect_all"]

log = logging.getLogger(__name__)

Collector = Callable[[Target], Observation]
Progress = Callable[[int, int], None]
# Whether a cluster at this version needs an upgrade plan (its path is not empty).
PlanGoal = Callable[[KubeVersion], bool]

VERSION_PATH = "/version"
NODES_PATH = "/api/v1/nodes"
VERSION_BODY_LIMIT = 1 << 20  # a /version document is a few hundred bytes
NODES_BODY_LIMIT = 64 << 20  # one page of at most `page_size` nodes
METRICS_PATH = "/metrics"
METRICS_BODY_LIMIT = 256 << 20  # a large API server's /metrics is tens of MB; read streamed
DEPRECATED_FAMILY = b"apiserver_requested_deprecated_apis{"
APIS_PATH = "/apis"
APIS_BODY_LIMIT = 4 << 20
PDB_PATH = "/apis/policy/v1/poddisruptionbudgets"
PDB_BODY_LIMIT = 32 << 20  # one page
_LABEL = re.compile(rb'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class CollectOptions(ReadOptions):
    """The read options plus what collection adds: clusters at once, and nodes or not."""

    concurrency: int = 32
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
        nodes = _NodeFetch(reader, shared) if self.options.nodes else None
        try:
            version_doc = reader.get_json(VERSION_PATH, limit=VERSION_BODY_LIMIT)
            try:
                version = parse_version_info(version_doc)
            except VersionError as exc:
                raise FetchError(ErrorCategory.INVALID_RESPONSE, f"/version: {exc}") from None
            # Only a cluster that must move is asked the plan's reads (beside the nodes).
            needs_plan = self._plan_goal is not None and self._plan_goal(version)
            plan_inputs = read_plan_inputs(reader) if needs_plan else None
        except FetchError as exc:
            return _failed(target, exc.as_scan_error(), started)  # nodes finish on their own
        finally:
            shared.release()
        summary, nodes_error = nodes.wait(reader.deadline) if nodes else (None, None)
        log.debug("%s: %s in %.2fs", target.context, version.git_version, _since(started))
        return Observation(
            target.context,
            version=version,
            nodes=summary,
            nodes_error=nodes_error,
            duration_seconds=_since(started),
            plan_inputs=plan_inputs,
        )


def list_nodes(reader: Reader) -> NodeSummary:
    """The node list reduced to counts by kubelet version and container runtime."""
    kubelets: Counter[str] = Counter()
    runtimes: Counter[str] = Counter()
    count = 0
    for item in reader.list_items(NODES_PATH, limit=NODES_BODY_LIMIT):
        info = dig(item, "status", "nodeInfo")
        count += 1
        kubelets[str(info.get("kubeletVersion") or "unknown")] += 1
        runtimes[str(info.get("containerRuntimeVersion") or "unknown")] += 1
    return NodeSummary(count, dict(kubelets), dict(runtimes))


def read_plan_inputs(reader: Reader) -> PlanInputs:
    """The plan's three reads at once: the deprecated-API family of ``/metrics``, the
    group/versions ``/apis`` serves, and the PodDisruptionBudgets. Each that fails is kept
    as its reason (a 403 on ``/metrics`` is common): "usage unknown", never "none"."""
    results: dict[str, Any] = {}

    def run(name: str, read: Callable[[], Any]) -> None:
        try:
            results[name] = read()
        except FetchError as exc:
            results[name] = exc
        except Exception as exc:  # a bug must not lose the cluster: keep it as a value
            log.debug("unexpected error in the plan read %s", name, exc_info=True)
            message = f"unexpected {type(exc).__name__} (please report)"
            results[name] = FetchError(ErrorCategory.INVALID_RESPONSE, message)

    reads: dict[str, Callable[[], Any]] = {
        "requested": lambda: requested_deprecated(reader),
        "served": lambda: served_group_versions(reader),
        "budgets": lambda: disruption_budgets(reader),
    }
    threads = [
        threading.Thread(target=run, args=item, name=f"plan-{item[0]}", daemon=True)
        for item in reads.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, reader.deadline - time.monotonic()) + 0.5)

    def part(name: str) -> tuple[Any, str]:
        found = results.get(name)
        if found is None:
            return None, "no answer within the budget"
        if isinstance(found, FetchError):
            return None, f"{found.category.value}: {found.message}"
        return found, ""

    requested, requested_error = part("requested")
    served, served_error = part("served")
    budgets, budgets_error = part("budgets")
    return PlanInputs(requested, requested_error, served, served_error, budgets, budgets_error)


def requested_deprecated(reader: Reader) -> tuple[DeprecatedRequest, ...]:
    lines = reader.get_lines(METRICS_PATH, prefix=DEPRECATED_FAMILY, limit=METRICS_BODY_LIMIT)
    return parse_deprecated(lines)


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


def served_group_versions(reader: Reader) -> frozenset[str]:
    """``group/version`` of every API group version ``/apis`` lists (``v1`` for the core)."""
    document = reader.get_json(APIS_PATH, limit=APIS_BODY_LIMIT)
    served = {"v1"}
    for group in document.get("groups") or ():
        for version in (group.get("versions") or ()) if isinstance(group, dict) else ():
            if isinstance(version, dict) and isinstance(version.get("groupVersion"), str):
                served.add(version["groupVersion"])
    return frozenset(served)


def disruption_budgets(reader: Reader) -> tuple[DisruptionBudget, ...]:
    budgets = []
    for item in reader.list_items(PDB_PATH, limit=PDB_BODY_LIMIT):
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


class _NodeFetch:
    """The node list of one cluster, fetched on its own daemon thread."""

    def __init__(self, reader: Reader, shared: _SharedClient) -> None:
        self._result: tuple[NodeSummary | None, ScanError | None] | None = None
        self._done = threading.Event()

        def run() -> None:
            try:
                self._result = (list_nodes(reader), None)
            except FetchError as exc:
                self._result = (None, exc.as_scan_error())
            except Exception as exc:  # a bug must not lose the version: keep it as a value
                log.debug("unexpected error listing nodes", exc_info=True)
                message = f"unexpected {type(exc).__name__} while listing nodes (please report)"
                self._result = (None, ScanError(ErrorCategory.INVALID_RESPONSE, message))
            finally:
                shared.release()
                self._done.set()

        threading.Thread(target=run, name="nodes", daemon=True).start()

    def wait(self, deadline: float) -> tuple[NodeSummary | None, ScanError | None]:
        if self._done.wait(max(0.0, deadline - time.monotonic()) + 0.5) and self._result:
            return self._result
        return None, ScanError(ErrorCategory.TIMEOUT, "node list not complete within the budget")


def _failed(target: Target, error: ScanError, started: float) -> Observation:
    log.debug("%s: %s: %s", target.context, error.category.value, error.message)
    return Observation(target.context, error=error, duration_seconds=_since(started))


def _since(started: float) -> float:
    return time.monotonic() - started


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
