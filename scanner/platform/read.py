"""Platform discovery: read, from the global cluster, what it records about the clusters it
manages (the network half; :mod:`scanner.platform.discovery` makes sense of the answers).

Read-only and optional: a missing API (404), a forbidden one (403) or a global cluster that
does not answer is a note, never a failure of the scan. Every read is one call of the kube
layer's :class:`~scanner.kube.reader.Reader` (a fresh client configuration, the retry rule,
the size cap), and the reads run at once (:func:`~scanner.kube.fanout.fan_out`), so
discovery is bounded by the same per-cluster budget as collection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Sequence
from typing import Any

from scanner.inputs.targets import Target
from scanner.kube import loop
from scanner.kube.channel import Channel
from scanner.kube.client import ClientFactory, ConfigProblem
from scanner.kube.discovery import api_groups, resources_by_plural
from scanner.kube.errors import FetchError
from scanner.kube.fanout import fan_out, guarded
from scanner.kube.reader import BUDGET_MARGIN, Reader, ReadOptions
from scanner.kube.resources import PLATFORM_GROUP_SUFFIXES
from scanner.platform.catalogue import READS, Read
from scanner.platform.discovery import Discovery, parse_discovery, skipped

log = logging.getLogger(__name__)

LIST_BODY_LIMIT = 16 << 20  # one page of at most `page_size` custom resources
OBJECT_BODY_LIMIT = 1 << 20  # one object (a ConfigMap, the ProductBase)


class DiscoveryJob:
    """Discovery of the global target beside collection, on the same event loop.
    :meth:`result` waits at most until the budget (plus the collection margin) is spent
    since the job started; a discovery still running then is cancelled and reported as a
    note."""

    def __init__(self, target: Target, options: ReadOptions) -> None:
        self._budget = options.budget
        self._deadline = time.monotonic() + options.budget + BUDGET_MARGIN
        self._job = loop.submit(guarded(lambda: discover(target, options), "discovery"))

    def result(self) -> Discovery:
        try:
            found = self._job.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            self._job.cancel()
            return skipped(f"the global cluster did not answer within the {self._budget:g}s budget")
        if isinstance(found, FetchError):  # a bug in discovery: it is optional, the scan goes on
            return skipped(f"{found.message}")
        return found


class Discoverer:
    """Starts discovery on a global target (the pipeline's platform seam)."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options

    def start(self, target: Target) -> DiscoveryJob:
        return DiscoveryJob(target, self.options)


DISCOVERY_POOL = 4  # connections to the global cluster for its platform reads


async def discover(target: Target, options: ReadOptions) -> Discovery:
    """Read every platform API from ``target`` (the global cluster); never raises for the
    network or the cluster's answers."""
    if target.problem or target.cluster is None:
        return skipped(f"the global context {target.context!r} is broken in the kubeconfig")
    started = time.monotonic()
    deadline = started + options.budget
    with ClientFactory(options.timeout) as factory:
        try:
            endpoint = await asyncio.to_thread(factory.build, target)
        except ConfigProblem as exc:
            return skipped(f"the global context {target.context!r} cannot be used: {exc}")
        except FetchError as exc:
            return skipped(f"the global context {target.context!r} cannot be used: {exc}")
        channel = Channel(endpoint, limit=DISCOVERY_POOL)
        try:
            reader = Reader(channel, options, deadline, endpoint)
            reads, notes = await resolve_reads(reader, READS)
            answers = await fan_out({r.key: _reader_of(reader, r) for r in reads}, deadline)
        finally:
            await channel.close()
        found = {key: answer for key, answer in answers.items() if answer is not None}
        return parse_discovery(found, time.monotonic() - started, reads, notes)


async def resolve_reads(reader: Reader, reads: Sequence[Read]) -> tuple[list[Read], list[str]]:
    """The reads to make, with group/versions found by API discovery where they are not
    published: ``GET /apis``, then the resource list of each platform group (``*.alauda.io``,
    ``*.cpaas.io`` and the documented groups); the documented (or assumed) group/version is
    preferred when it is served. A resource no group serves is not read (a note says so).
    Without ``/apis`` (forbidden, say) the documented defaults are tried."""
    wanted = [r for r in reads if r.discover]
    fixed = [r for r in reads if not r.discover]
    try:
        groups = await api_groups(reader)
    except FetchError as exc:
        note = (
            f"API discovery (GET /apis) failed ({exc.category.value}: {exc.message}); "
            "the documented group/versions were tried"
        )
        return [*fixed, *wanted], [note]
    defaults = {r.resource.group for r in wanted}
    versions = [
        gv
        for group in groups
        if group.name in defaults or group.name.endswith(PLATFORM_GROUP_SUFFIXES)
        for gv in group.versions
    ]

    def skip(group_version: str, reason: str) -> None:
        log.debug("API discovery: %s: %s", group_version, reason)

    served = await resources_by_plural(reader, versions, skip)
    found, notes = list(fixed), []
    for r in wanted:
        candidates = served.get(r.plural, [])
        default = r.resource.group_version
        choice = default if default in candidates else (candidates[0] if candidates else None)
        if choice is None:
            notes.append(
                f"{r.plural}: no API group of the global cluster serves it (API discovery); "
                "not read"
            )
            continue
        found.append(r.at(choice))
    return found, notes


def _reader_of(reader: Reader, r: Read) -> Any:
    return lambda: read_one(reader, r)


async def read_one(reader: Reader, r: Read) -> Any:
    """The one named object (a plain GET), or every item of a list (paged, capped)."""
    if r.name:
        return await reader.get_json(r.path, limit=OBJECT_BODY_LIMIT)
    return await reader.list_items(r.path, limit=LIST_BODY_LIMIT)
