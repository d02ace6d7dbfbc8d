"""Collection: the network seam. A :data:`Collector` turns one target into an observation.

:class:`KubeCollector` is the real one (the kubernetes client over HTTPS); tests of
evaluation and rendering pass plain observations instead. :func:`collect_all` runs a
collector over many targets on a bounded pool of daemon threads and guarantees that no
target holds the scan longer than its budget, whatever the network does.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.connect import ClientFactory, ConfigProblem
from scanner.model import ErrorCategory, NodeSummary, Observation, ScanError, Target
from scanner.neterrors import FetchError, classify
from scanner.versions import VersionError, parse_version_info

log = logging.getLogger(__name__)

Collector = Callable[[Target], Observation]
Progress = Callable[[int, int], None]

VERSION_BODY_LIMIT = 1 << 20  # a /version document is a few hundred bytes
NODES_BODY_LIMIT = 64 << 20  # one page of at most `page_size` nodes
ERROR_BODY_LIMIT = 64 << 10  # of an error answer only the Status message is used
BUDGET_MARGIN = 2.0  # seconds on top of timeout * (retries + 1), for process scheduling


@dataclass(frozen=True)
class CollectOptions:
    timeout: float = 10.0
    retries: int = 1
    concurrency: int = 32
    nodes: bool = True
    page_size: int = 500
    backoff: float = 0.25

    @property
    def budget(self) -> float:
        """The longest one target may take: every attempt may use the whole timeout."""
        return self.timeout * (self.retries + 1)


class KubeCollector:
    """Collects ``/version`` and, optionally, the node list through the kubernetes client."""

    def __init__(self, options: CollectOptions) -> None:
        self.options = options
        self._factory = ClientFactory(options.timeout)

    def close(self) -> None:
        self._factory.close()

    def __call__(self, target: Target) -> Observation:
        started = time.monotonic()
        deadline = started + self.options.budget
        try:
            connection = self._factory.build(target)
        except ConfigProblem as exc:
            return _failed(target, ScanError(ErrorCategory.CONFIG, str(exc)), started)
        shared = _SharedClient(connection.api_client, users=2 if self.options.nodes else 1)
        # The node list is fetched beside /version, not after it: a cluster then costs one
        # round trip of latency instead of two, which is most of a large fleet's scan time.
        nodes = (
            _NodeFetch(self, shared, deadline, connection.secrets) if self.options.nodes else None
        )
        try:
            version_doc = self._get_json(shared.api_client, "version", deadline, connection.secrets)
            try:
                version = parse_version_info(version_doc)
            except VersionError as exc:
                raise FetchError(ErrorCategory.INVALID_RESPONSE, f"/version: {exc}") from None
        except FetchError as exc:
            return _failed(target, exc.as_scan_error(), started)  # nodes finish on their own
        finally:
            shared.release()
        summary, nodes_error = nodes.wait(deadline) if nodes else (None, None)
        log.debug("%s: %s in %.2fs", target.context, version.git_version, _since(started))
        return Observation(
            target.context,
            version=version,
            nodes=summary,
            nodes_error=nodes_error,
            duration_seconds=_since(started),
        )

    def _list_nodes(self, api_client: Any, deadline: float, secrets: Sequence[str]) -> NodeSummary:
        kubelets: Counter[str] = Counter()
        runtimes: Counter[str] = Counter()
        count = 0
        for item in self._list_items(api_client, "nodes", deadline, secrets):
            info = _dig(item, "status", "nodeInfo")
            count += 1
            kubelets[str(info.get("kubeletVersion") or "unknown")] += 1
            runtimes[str(info.get("containerRuntimeVersion") or "unknown")] += 1
        return NodeSummary(count, dict(kubelets), dict(runtimes))

    def _list_items(
        self, api_client: Any, what: str, deadline: float, secrets: Sequence[str]
    ) -> Iterator[Any]:
        """Every item of a paged list, page by page (``limit`` and ``continue``)."""
        token: str | None = None
        while True:
            page = self._get_json(api_client, what, deadline, secrets, token)
            items = page.get("items")
            if not isinstance(items, list):
                raise FetchError(
                    ErrorCategory.INVALID_RESPONSE, f"{self._path(what)}: no items list"
                )
            yield from items
            token = _dig(page, "metadata").get("continue") or None
            if not token:
                return

    def _get_json(
        self,
        api_client: Any,
        what: str,
        deadline: float,
        secrets: Sequence[str],
        continue_token: str | None = None,
    ) -> dict[str, Any]:
        """One GET with our retry rule: connection errors and 5xx only, within the budget."""
        attempt = 0
        while True:
            try:
                return self._get_once(api_client, what, deadline, continue_token)
            except Exception as exc:  # classified below; anything unknown is re-raised
                error = exc if isinstance(exc, FetchError) else classify(exc, secrets)
                attempt += 1
                pause = self.options.backoff * attempt
                remaining = deadline - time.monotonic()
                if not error.retryable or attempt > self.options.retries or remaining <= pause:
                    raise error from None
                log.debug("retrying %s after %s", what, error.message)
                time.sleep(pause)

    def _get_once(
        self, api_client: Any, what: str, deadline: float, continue_token: str | None
    ) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(
                ErrorCategory.TIMEOUT, f"no time left of the {self.options.budget:g}s budget"
            )
        limit = min(self.options.timeout, remaining)
        response, body_limit = self._send(api_client, what, (limit, limit), continue_token)
        path = self._path(what)
        body = _read_capped(response, body_limit, deadline, path)
        try:
            document = json.loads(body)
        except ValueError:
            snippet = body[:60].decode("utf-8", "replace").strip().replace("\n", " ")
            raise FetchError(
                ErrorCategory.INVALID_RESPONSE, f"{path}: not JSON (starts with {snippet!r})"
            ) from None
        if not isinstance(document, dict):
            raise FetchError(ErrorCategory.INVALID_RESPONSE, f"{path}: not a JSON object")
        return document

    def _send(
        self,
        api_client: Any,
        what: str,
        request_timeout: tuple[float, float],
        continue_token: str | None,
    ) -> tuple[Any, int]:
        """Start one request without reading its body: (streaming response, body size cap)."""
        query: list[tuple[str, Any]] = []
        if self._paged(what):
            query.append(("limit", self.options.page_size))
            if continue_token:
                query.append(("continue", continue_token))
        response = get_streaming(api_client, self._path(what), query, request_timeout)
        return response, self._body_limit(what)

    def _paged(self, what: str) -> bool:
        """Whether the request is a list read page by page (``limit`` and ``continue``)."""
        return what != "version"

    def _body_limit(self, what: str) -> int:
        return VERSION_BODY_LIMIT if what == "version" else NODES_BODY_LIMIT

    def _path(self, what: str) -> str:
        """The request's path, for the request and for messages."""
        return "/version" if what == "version" else "/api/v1/nodes"


def get_streaming(
    api_client: Any, path: str, query: list[tuple[str, Any]], timeout: tuple[float, float]
) -> Any:
    """GET through the client (its configuration, auth and TLS), returning the unread response.

    The generated API classes are not used: their first use loads hundreds of models (0.6 s
    inside the worker threads), and for an error status they read the whole body, unbounded.
    Here an error body is read up to ``ERROR_BODY_LIMIT`` and raised as ``ApiException``.
    """
    from kubernetes.client.exceptions import ApiException

    method, url, headers, body, post = api_client.param_serialize(
        method="GET",
        resource_path=path,
        query_params=query,
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    rest = api_client.call_api(
        method, url, header_params=headers, body=body, post_params=post, _request_timeout=timeout
    )
    raw = rest.response
    if 200 <= rest.status <= 299:
        return raw
    try:
        text = raw.read1(ERROR_BODY_LIMIT).decode("utf-8", "replace")
    except Exception:  # the status alone is the answer; a body that breaks off adds nothing
        text = ""
    finally:
        raw.close()
    raise ApiException(status=rest.status, reason=rest.reason, body=text)


class _SharedClient:
    """One api client used by the version and node requests; the last user closes it."""

    def __init__(self, api_client: Any, users: int) -> None:
        self.api_client = api_client
        self._users = users
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._users == 0
        if last:
            self.api_client.close()


class _NodeFetch:
    """The node list of one cluster, fetched on its own daemon thread."""

    def __init__(
        self,
        collector: KubeCollector,
        shared: _SharedClient,
        deadline: float,
        secrets: Sequence[str],
    ) -> None:
        self._result: tuple[NodeSummary | None, ScanError | None] | None = None
        self._done = threading.Event()

        def run() -> None:
            try:
                summary = collector._list_nodes(shared.api_client, deadline, secrets)
                self._result = (summary, None)
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


def _read_capped(response: Any, limit: int, deadline: float, path: str) -> bytes:
    """Read at most ``limit`` bytes, giving up at the deadline even on a trickling body."""
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise FetchError(ErrorCategory.TIMEOUT, f"{path}: body not complete in time")
            chunk = response.read1(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise FetchError(
                    ErrorCategory.INVALID_RESPONSE, f"{path}: body larger than {limit} bytes"
                )
            chunks.append(chunk)
    finally:
        response.release_conn() if size <= limit else response.close()


def _dig(document: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else {}


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
    """
    total = len(targets)
    jobs: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(total):
        jobs.put(index)
    results: queue.SimpleQueue[tuple[int, Observation]] = queue.SimpleQueue()
    started: dict[int, float] = {}

    def work() -> None:
        while True:
            try:
                index = jobs.get_nowait()
            except queue.Empty:
                return
            started[index] = time.monotonic()
            results.put((index, _guarded(collector, targets[index])))

    def spawn() -> None:
        threading.Thread(target=work, name="collect", daemon=True).start()

    for _ in range(min(max(concurrency, 1), total)):
        spawn()
    done: dict[int, Observation] = {}
    while len(done) < total:
        try:
            index, observation = results.get(timeout=0.1)
            if index not in done:
                done[index] = observation
                _report(progress, len(done), total)
        except queue.Empty:
            pass
        now = time.monotonic()
        for index, began in list(started.items()):
            if index not in done and now - began > budget + BUDGET_MARGIN:
                done[index] = Observation(
                    targets[index].context,
                    error=ScanError(
                        ErrorCategory.TIMEOUT, f"no answer within the {budget:g}s budget"
                    ),
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
