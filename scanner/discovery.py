"""Platform discovery: read, from the global cluster, what it records about the clusters it
manages (the network half; :mod:`scanner.platform` parses the documents).

Read-only and optional: a missing API (404), a forbidden one (403) or a global cluster that
does not answer is a note, never a failure of the scan. The reads go through the collector's
machinery (:class:`scanner.collect.KubeCollector`: a fresh client configuration per target,
the retry rule, the size cap), and the four reads run at once, so discovery is bounded by
the same per-cluster budget as collection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from scanner.collect import BUDGET_MARGIN, CollectOptions, KubeCollector
from scanner.connect import ConfigProblem
from scanner.model import ErrorCategory, Target
from scanner.neterrors import FetchError
from scanner.platform import APIS, Api, Discovery, parse_discovery, skipped

log = logging.getLogger(__name__)

LIST_BODY_LIMIT = 16 << 20  # one page of at most `page_size` custom resources
OBJECT_BODY_LIMIT = 1 << 20  # the one ClusterVersionShadow
ITEM_LIMIT = 100_000  # records kept of one API: more is not a fleet, it is a fault
_BY_KEY = {api.key: api for api in APIS}


class DiscoveryJob:
    """Discovery of the global target on a daemon thread, so collection can run meanwhile.

    :meth:`result` waits at most until the budget (plus the collection margin) is spent since
    the job started; a read still running then is abandoned and reported as a note.
    """

    def __init__(self, target: Target, options: CollectOptions) -> None:
        self._budget = options.budget
        self._deadline = time.monotonic() + options.budget + BUDGET_MARGIN
        self._done = threading.Event()
        self._result: Discovery | None = None
        self._target, self._options = target, options
        threading.Thread(target=self._run, name="discovery", daemon=True).start()

    def _run(self) -> None:
        try:
            self._result = discover(self._target, self._options)
        except Exception as exc:  # a bug must not fail the scan: discovery is optional
            log.debug("platform discovery failed", exc_info=True)
            self._result = skipped(f"unexpected {type(exc).__name__} (please report)")
        finally:
            self._done.set()

    def result(self) -> Discovery:
        self._done.wait(max(0.0, self._deadline - time.monotonic()))
        if self._result is None:
            return skipped(f"the global cluster did not answer within the {self._budget:g}s budget")
        return self._result


def discover(target: Target, options: CollectOptions) -> Discovery:
    """Read every platform API from ``target`` (the global cluster); never raises for the
    network or the cluster's answers."""
    if target.problem or target.cluster is None:
        return skipped(f"the global context {target.context!r} is broken in the kubeconfig")
    reader = PlatformReader(options)
    try:
        return reader.read(target)
    finally:
        reader.close()


class PlatformReader(KubeCollector):
    """The collector's client factory, retries and size cap, over the platform's APIs."""

    def read(self, target: Target) -> Discovery:
        started = time.monotonic()
        deadline = started + self.options.budget
        try:
            connection = self._factory.build(target)
        except ConfigProblem as exc:
            return skipped(f"the global context {target.context!r} cannot be used: {exc}")
        answers: dict[str, Any] = {}
        threads = [
            threading.Thread(
                target=self._read_api,
                args=(connection.api_client, api, deadline, connection.secrets, answers),
                name=f"discovery-{api.key}",
                daemon=True,
            )
            for api in APIS
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline + BUDGET_MARGIN - time.monotonic()))
        if not any(thread.is_alive() for thread in threads):
            connection.api_client.close()  # else a stuck read still holds it: leave it be
        return parse_discovery(dict(answers), time.monotonic() - started)

    def _read_api(
        self,
        api_client: Any,
        api: Api,
        deadline: float,
        secrets: Sequence[str],
        answers: dict[str, Any],
    ) -> None:
        answer: Any
        try:
            if api.name:
                answer = self._get_json(api_client, api.key, deadline, secrets)
            else:
                answer = []
                for item in self._list_items(api_client, api.key, deadline, secrets):
                    answer.append(item)
                    if len(answer) > ITEM_LIMIT:
                        message = f"{self._path(api.key)}: more than {ITEM_LIMIT} items"
                        raise FetchError(ErrorCategory.INVALID_RESPONSE, message)
        except FetchError as exc:
            answer = exc
        except Exception as exc:  # a bug must not lose the other reads: keep it as a value
            log.debug("unexpected error reading %s", api.label, exc_info=True)
            message = f"unexpected {type(exc).__name__} while reading it (please report)"
            answer = FetchError(ErrorCategory.INVALID_RESPONSE, message)
        log.debug("platform discovery: %s: %s", api.label, type(answer).__name__)
        answers[api.key] = answer

    def _paged(self, what: str) -> bool:
        return not _BY_KEY[what].name  # the one named object is read with a plain GET

    def _body_limit(self, what: str) -> int:
        return OBJECT_BODY_LIMIT if _BY_KEY[what].name else LIST_BODY_LIMIT

    def _path(self, what: str) -> str:
        api = _BY_KEY[what]
        where = f"/namespaces/{api.namespace}" if api.namespace else ""
        name = f"/{api.name}" if api.name else ""
        return f"/apis/{api.group}/{api.version}{where}/{api.plural}{name}"
