"""Every API read of every cluster goes through here: one GET with the retry rule, the
deadline and a size cap, and paged lists on top of it, as coroutines on the scanner's one
event loop, over the cluster's :class:`~scanner.kube.channel.Channel`.

Collection (``/version``, nodes, ResourcePatches, the plan's reads) and platform discovery
(the global cluster's records) both *use* a :class:`Reader`; a new read is one call of
:meth:`Reader.get_json` or :meth:`Reader.list_items`. Errors come out as
:class:`~scanner.kube.errors.FetchError` with a SPEC 4 category and secrets masked.

Retry rule: connection errors and 5xx answers are retried (``retries`` times, with a short
backoff) while the deadline allows; a read timeout, a TLS, auth or content failure is not.
Bodies are read as a stream, up to the caller's size cap, and a body still trickling at the
deadline is a timeout.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from scanner import defaults
from scanner.kube.channel import Channel, Endpoint
from scanner.kube.errors import FetchError, classify, status_error
from scanner.model import ErrorCategory
from scanner.secrets import unicode_safe_document

log = logging.getLogger(__name__)

ERROR_BODY_LIMIT = 64 << 10  # of an error answer only the Status message is used
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")  # a JSON escape of a surrogate
ITEM_LIMIT = 100_000  # objects of one list: more is not a fleet, it is a fault
_T = TypeVar("_T")
BUDGET_MARGIN = 2.0  # seconds on top of timeout * (retries + 1), for scheduling
LINE_CHUNK = 1 << 20
# Memory across the fleet: a body is read whole before it is parsed, so at most
# --concurrency bodies of up to BIG_BODY bytes, plus BIG_BODIES larger ones (each up to its
# read's cap), are held at once; a larger body waits for a slot within its own deadline.
BIG_BODY = 1 << 20  # about 200 nodes; a /version, a ResourcePatch list are far below it
BIG_BODIES = 16


@dataclass(frozen=True)
class ReadOptions:
    """How every request is made: per-request timeout, retries, page size, backoff."""

    timeout: float = defaults.TIMEOUT
    retries: int = defaults.RETRIES
    page_size: int = 500
    backoff: float = 0.25

    @property
    def budget(self) -> float:
        """The longest one cluster's reads may take: every attempt may use the whole timeout."""
        return self.timeout * (self.retries + 1)


class LineFolder(Protocol):
    def add(self, line: bytes) -> None: ...


_F = TypeVar("_F", bound=LineFolder)


class Reader:
    """The reads of one cluster over one channel, all within one deadline."""

    def __init__(
        self,
        channel: Channel,
        options: ReadOptions,
        deadline: float,
        endpoint: Endpoint | None = None,
        slots: BodySlots | None = None,
    ) -> None:
        self.channel = channel
        self.slots = slots
        # A cluster behind the platform proxy shares the proxy's channel: its own endpoint
        # says its path prefix and secrets.
        self.endpoint = endpoint or channel.endpoint
        self.secrets = self.endpoint.secrets
        self.options = options
        self.deadline = deadline

    async def get_json(
        self, path: str, *, limit: int, query: Sequence[tuple[str, Any]] = ()
    ) -> dict[str, Any]:
        """One GET of a JSON object with the retry rule, within the deadline."""
        return await self._retrying(path, lambda: self._get_once(path, limit, list(query)))

    async def get_lines(
        self, path: str, *, prefix: bytes | tuple[bytes, ...], limit: int
    ) -> list[bytes]:
        """The lines of a text body that start with ``prefix`` (Prometheus families of
        ``/metrics``), read as a stream: only the kept lines and one chunk are ever held.
        ``limit`` caps the whole body."""
        folded = await self.fold_lines(path, prefix=prefix, limit=limit, start=_LineList)
        return folded.lines

    async def fold_lines(
        self, path: str, *, prefix: bytes | tuple[bytes, ...], limit: int, start: Callable[[], _F]
    ) -> _F:
        """Like :meth:`get_lines`, but each kept line goes to ``start()``'s ``add`` as it
        is read (a fresh one per attempt), so a body of a million matching lines is folded
        into what the caller keeps, never held."""

        async def once() -> _F:
            folder = start()
            scanner = LineScanner(prefix, folder.add, limit=limit, path=path)
            async with (
                self._open(path, [], "text/plain") as response,
                _until(self.deadline, path),
            ):
                async for chunk in response.content.iter_any():
                    scanner.feed(chunk)
            scanner.close()
            return folder

        return await self._retrying(path, once)

    async def list_items(self, path: str, *, limit: int, max_items: int = ITEM_LIMIT) -> list[Any]:
        """Every item of a paged list (see :meth:`pages`)."""
        found: list[Any] = []
        async for items in self.pages(path, limit=limit, max_items=max_items):
            found.extend(items)
        return found

    async def pages(
        self, path: str, *, limit: int, max_items: int = ITEM_LIMIT
    ) -> AsyncIterator[list[Any]]:
        """A paged list (``limit`` and ``continue``), one page's items at a time, so a caller
        that folds them holds one page, not the list; ``limit`` caps each page's body. More
        than ``max_items`` items is a failure of the whole list (never a list cut short:
        what was not read could be what matters)."""
        token: str | None = None
        count = 0
        while True:
            query: list[tuple[str, Any]] = [("limit", self.options.page_size)]
            if token:
                query.append(("continue", token))
            async with self._hold() as hold:
                page = await self._retrying(
                    path, functools.partial(self._get_once, path, limit, query, hold)
                )
                items = page.get("items")
                if not isinstance(items, list):
                    raise FetchError(ErrorCategory.INVALID_RESPONSE, f"{path}: no items list")
                count += len(items)
                if count > max_items:
                    message = f"{path}: more than {max_items} items"
                    raise FetchError(ErrorCategory.INVALID_RESPONSE, message)
                token = dig(page, "metadata").get("continue") or None
                del page  # the caller folds the items; nothing of the page waits with us
                yield items
                del items
            if not token:
                return

    @asynccontextmanager
    async def _hold(self) -> AsyncIterator[BodyHold | None]:
        if self.slots is None:
            yield None
            return
        hold = BodyHold(self.slots)
        try:
            yield hold
        finally:
            hold.release()

    async def _retrying(self, path: str, read: Callable[[], Awaitable[_T]]) -> _T:
        attempt = 0
        while True:
            try:
                return await read()
            except Exception as exc:  # classified below; anything unknown is re-raised
                error = exc if isinstance(exc, FetchError) else classify(exc, self.secrets)
                attempt += 1
                pause = self.options.backoff * attempt
                remaining = self.deadline - time.monotonic()
                if not error.retryable or attempt > self.options.retries or remaining <= pause:
                    raise error from None
                log.debug("retrying %s after %s", path, error.message)
                await asyncio.sleep(pause)

    def _open(self, path: str, query: list[tuple[str, Any]], accept: str) -> Any:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(
                ErrorCategory.TIMEOUT, f"no time left of the {self.options.budget:g}s budget"
            )
        return _Answer(self, path, query, accept, min(self.options.timeout, remaining))

    async def _get_once(
        self,
        path: str,
        limit: int,
        query: list[tuple[str, Any]],
        hold: BodyHold | None = None,
    ) -> dict[str, Any]:
        async with self._open(path, query, "application/json") as response:
            body = await read_capped(response, limit, self.deadline, path, hold)
        try:
            document = json.loads(body)
        except RecursionError:
            raise FetchError(
                ErrorCategory.INVALID_RESPONSE, f"{path}: JSON nested too deep to read"
            ) from None
        except ValueError:
            snippet = body[:60].decode("utf-8", "replace").strip().replace("\n", " ")
            raise FetchError(
                ErrorCategory.INVALID_RESPONSE, f"{path}: not JSON (starts with {snippet!r})"
            ) from None
        if not isinstance(document, dict):
            raise FetchError(ErrorCategory.INVALID_RESPONSE, f"{path}: not a JSON object")
        if _SURROGATE_ESCAPE.search(body):  # "\ud800": text no report could be written with
            document = unicode_safe_document(document)
        return document


class BodySlots:
    """The fleet's big-body slots (:data:`BIG_BODIES`), shared by every cluster's reader."""

    def __init__(self, slots: int = BIG_BODIES) -> None:
        self.semaphore = asyncio.Semaphore(slots)


class BodyHold:
    """One page's claim on a big-body slot: taken when its body grows past
    :data:`BIG_BODY`, kept while the page is parsed and folded, released after."""

    def __init__(self, slots: BodySlots) -> None:
        self._semaphore = slots.semaphore
        self.held = False

    async def take(self) -> None:
        """Wait for a slot (the read's deadline bounds the wait)."""
        await self._semaphore.acquire()
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()


class _Answer:
    """``async with``: the response of one GET, a 2xx one only (any other status is raised
    as its :class:`FetchError`, its body read up to ``ERROR_BODY_LIMIT``)."""

    def __init__(
        self, reader: Reader, path: str, query: list[tuple[str, Any]], accept: str, timeout: float
    ) -> None:
        self._request = reader.channel.get(reader.endpoint.prefix + path, query, accept, timeout)
        self._deadline = reader.deadline

    async def __aenter__(self) -> Any:
        response = await self._request.__aenter__()
        if 200 <= response.status <= 299:
            return response
        try:
            raw = await asyncio.wait_for(
                response.content.read(ERROR_BODY_LIMIT),
                max(0.1, self._deadline - time.monotonic()),
            )
            text = raw.decode("utf-8", "replace")
        except Exception:  # the status alone is the answer; a body that breaks off adds nothing
            text = ""
        await self._request.__aexit__(None, None, None)
        raise status_error(response.status, response.reason or "", text)

    async def __aexit__(self, *exc: Any) -> None:
        await self._request.__aexit__(*exc)


@asynccontextmanager
async def _until(deadline: float, path: str) -> AsyncIterator[None]:
    """The body's reads, given up at the deadline even on a trickle: one timer for the whole
    body (``deadline`` is on the loop's clock, ``time.monotonic``)."""
    try:
        async with asyncio.timeout_at(deadline):
            yield
    except TimeoutError:
        if time.monotonic() < deadline:
            raise  # the socket's own read timeout: classified by the caller
        raise FetchError(ErrorCategory.TIMEOUT, f"{path}: body not complete in time") from None


async def read_capped(
    response: Any, limit: int, deadline: float, path: str, hold: BodyHold | None = None
) -> bytes:
    """Read at most ``limit`` bytes, giving up at the deadline even on a trickling body.
    A body that grows past :data:`BIG_BODY` waits for one of the fleet's big-body slots
    (``hold``) before more of it is read."""
    chunks: list[bytes] = []
    size = 0
    async with _until(deadline, path):
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise _too_large(path, limit)
            chunks.append(chunk)
            if size > BIG_BODY and hold is not None and not hold.held:
                await hold.take()
    return b"".join(chunks)


def _too_large(path: str, limit: int) -> FetchError:
    return FetchError(ErrorCategory.INVALID_RESPONSE, f"{path}: body larger than {limit} bytes")


class _LineList:
    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def add(self, line: bytes) -> None:
        self.lines.append(line)


class LineScanner:
    """Lines that start with ``prefix`` (or one of several), fed a chunk at a time; a chunk
    without one anywhere is skipped whole, so a 20 MB ``/metrics`` costs a few substring
    searches. More than ``limit`` bytes fed in all is a failure of ``path``."""

    def __init__(
        self,
        prefix: bytes | tuple[bytes, ...],
        add: Callable[[bytes], None],
        *,
        limit: int,
        path: str,
    ) -> None:
        self.prefixes = prefix if isinstance(prefix, tuple) else (prefix,)
        self.add = add
        self.tail = b""
        self.size, self.limit, self.path = 0, limit, path

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _too_large(self.path, self.limit)
        data = self.tail + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            self.tail = data
            return
        block, self.tail = data[:cut], data[cut + 1 :]
        if any(p in block for p in self.prefixes):
            for line in block.split(b"\n"):
                if line.startswith(self.prefixes):
                    self.add(line)

    def close(self) -> None:
        if self.tail.startswith(self.prefixes):
            self.add(self.tail)
        self.tail = b""


def read_lines(
    response: Any,
    prefix: bytes | tuple[bytes, ...],
    limit: int,
    deadline: float,
    path: str,
    sink: Callable[[bytes], None] | None = None,
) -> list[bytes]:
    """:class:`LineScanner` over a blocking stream with ``read1`` (tests and benchmarks feed
    it awkward pieces): the kept lines, or each line to ``sink`` and none kept."""
    kept: list[bytes] = []
    add = sink if sink is not None else kept.append
    scanner = LineScanner(prefix, add, limit=limit, path=path)
    while True:
        if time.monotonic() > deadline:
            raise FetchError(ErrorCategory.TIMEOUT, f"{path}: body not complete in time")
        chunk = response.read1(LINE_CHUNK)
        if not chunk:
            break
        scanner.feed(chunk)
    scanner.close()
    return kept


def dig(document: Any, *keys: str) -> dict[str, Any]:
    """The mapping at ``keys`` in a JSON document, or an empty one."""
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else {}
