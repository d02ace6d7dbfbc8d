"""Platform discovery: read, from the global cluster, what it records about the clusters it
manages (the network half; :mod:`scanner.platform.records` parses the documents).

Read-only and optional: a missing API (404), a forbidden one (403) or a global cluster that
does not answer is a note, never a failure of the scan. Every read is one call of the kube
layer's :class:`~scanner.kube.reader.Reader` (a fresh client configuration, the retry rule,
the size cap), and the reads run at once, so discovery is bounded by the same per-cluster
budget as collection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from scanner.inputs.targets import Target
from scanner.kube.client import ClientFactory, ConfigProblem
from scanner.kube.errors import FetchError
from scanner.kube.reader import BUDGET_MARGIN, Reader, ReadOptions
from scanner.model import ErrorCategory
from scanner.platform.records import (
    APIS,
    PLATFORM_GROUP_SUFFIXES,
    Api,
    Discovery,
    parse_discovery,
    skipped,
)

log = logging.getLogger(__name__)

LIST_BODY_LIMIT = 16 << 20  # one page of at most `page_size` custom resources
OBJECT_BODY_LIMIT = 1 << 20  # the one ClusterVersionShadow
ITEM_LIMIT = 100_000  # records kept of one API: more is not a fleet, it is a fault
DISCOVERY_BODY_LIMIT = 4 << 20  # GET /apis, and one group-version's resource list


class DiscoveryJob:
    """Discovery of the global target on a daemon thread, so collection can run meanwhile.

    :meth:`result` waits at most until the budget (plus the collection margin) is spent since
    the job started; a read still running then is abandoned and reported as a note.
    """

    def __init__(self, target: Target, options: ReadOptions) -> None:
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


def discover(target: Target, options: ReadOptions) -> Discovery:
    """Read every platform API from ``target`` (the global cluster); never raises for the
    network or the cluster's answers."""
    if target.problem or target.cluster is None:
        return skipped(f"the global context {target.context!r} is broken in the kubeconfig")
    started = time.monotonic()
    deadline = started + options.budget
    with ClientFactory(options.timeout) as factory:
        try:
            connection = factory.build(target)
        except ConfigProblem as exc:
            return skipped(f"the global context {target.context!r} cannot be used: {exc}")
        reader = Reader(
            connection.api_client, connection.secrets, options, deadline, connection.prefix
        )
        apis, notes = resolve_apis(reader, APIS)
        answers = _Answers()
        threads = [
            threading.Thread(
                target=_read_api,
                args=(reader, api, answers),
                name=f"discovery-{api.key}",
                daemon=True,
            )
            for api in apis
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline + BUDGET_MARGIN - time.monotonic()))
        if not any(thread.is_alive() for thread in threads) and not connection.shared:
            connection.api_client.close()  # else a stuck read still holds it: leave it be
        # A read still stuck may answer later: what is parsed is a copy taken under the lock.
        return parse_discovery(answers.snapshot(), time.monotonic() - started, apis, notes)


def resolve_apis(reader: Reader, apis: Sequence[Api]) -> tuple[list[Api], list[str]]:
    """The reads to make, with group/versions found by API discovery where they are not
    published: ``GET /apis``, then the resource list of each platform group (``*.alauda.io``,
    ``*.cpaas.io`` and the documented groups). A resource no group serves is not read (a
    note says so). Without ``/apis`` (forbidden, say) the documented defaults are tried."""
    wanted = [api for api in apis if api.discover]
    fixed = [api for api in apis if not api.discover]
    try:
        groups = reader.get_json("/apis", limit=DISCOVERY_BODY_LIMIT).get("groups")
    except FetchError as exc:
        note = (
            f"API discovery (GET /apis) failed ({exc.category.value}: {exc.message}); "
            "the documented group/versions were tried"
        )
        unresolved = [api.plural for api in wanted if not api.resolved]
        if unresolved:
            note += f"; not read, their group is not published: {', '.join(unresolved)}"
        return [*fixed, *(api for api in wanted if api.resolved)], [note]
    defaults = {api.group for api in wanted if api.group}
    versions: list[str] = []
    for group in groups if isinstance(groups, list) else []:
        name = group.get("name") if isinstance(group, dict) else None
        if not isinstance(name, str) or not (
            name in defaults or name.endswith(PLATFORM_GROUP_SUFFIXES)
        ):
            continue
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        listed = [v.get("groupVersion") for v in group.get("versions") or () if isinstance(v, dict)]
        versions.extend(
            gv for gv in dict.fromkeys([preferred, *listed]) if isinstance(gv, str) and "/" in gv
        )
    served: dict[str, list[str]] = {}  # plural -> group/versions serving it, in found order
    for group_version in versions:
        try:
            document = reader.get_json(f"/apis/{group_version}", limit=DISCOVERY_BODY_LIMIT)
        except FetchError as exc:
            log.debug("API discovery: /apis/%s: %s", group_version, exc.message)
            continue
        for resource in document.get("resources") or ():
            plural = resource.get("name") if isinstance(resource, dict) else None
            if isinstance(plural, str) and "/" not in plural:  # not a subresource
                served.setdefault(plural, []).append(group_version)
    found, notes = list(fixed), []
    for api in wanted:
        candidates = served.get(api.plural, [])
        default = f"{api.group}/{api.version}"
        choice = default if default in candidates else (candidates[0] if candidates else None)
        if choice is None:
            notes.append(
                f"{api.plural}: no API group of the global cluster serves it (API discovery); "
                "not read"
            )
            continue
        group, _, version = choice.partition("/")
        found.append(replace(api, group=group, version=version))
    return found, notes


class _Answers:
    """The answers of the reads, written by their threads, copied once by the caller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, Any] = {}

    def put(self, key: str, answer: Any) -> None:
        with self._lock:
            self._answers[key] = answer

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._answers)


def _read_api(reader: Reader, api: Api, answers: _Answers) -> None:
    """One platform API into ``answers[api.key]``: its object or items, or the FetchError."""
    answer: Any
    try:
        answer = read_api(reader, api)
    except FetchError as exc:
        answer = exc
    except Exception as exc:  # a bug must not lose the other reads: keep it as a value
        log.debug("unexpected error reading %s", api.label, exc_info=True)
        message = f"unexpected {type(exc).__name__} while reading it (please report)"
        answer = FetchError(ErrorCategory.INVALID_RESPONSE, message)
    log.debug("platform discovery: %s: %s", api.label, type(answer).__name__)
    answers.put(api.key, answer)


def read_api(reader: Reader, api: Api) -> Any:
    """The one named object (a plain GET), or every item of a list (paged, capped)."""
    if api.name:
        return reader.get_json(api.path, limit=OBJECT_BODY_LIMIT)
    items = []
    for item in reader.list_items(api.path, limit=LIST_BODY_LIMIT):
        items.append(item)
        if len(items) > ITEM_LIMIT:
            message = f"{api.path}: more than {ITEM_LIMIT} items"
            raise FetchError(ErrorCategory.INVALID_RESPONSE, message)
    return items
