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
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
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
    ) -> None:
        self.channel = channel
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
            scanner = LineScanner(prefix, folder.add)
            async with self._open(path, [], "text/plain") as response:
                size = 0
                async for chunk in _chunks(response, self.deadline, path):
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(path, limit)
                    scanner.feed(chunk)
            scanner.close()
            return folder

        return await self._retrying(path, once)

    async def list_items(self, path: str, *, limit: int, max_items: int = ITEM_LIMIT) -> list[Any]:
        """Every item of a paged list, page by page (``limit`` and ``continue``); ``limit``
        caps each page's body. More than ``max_items`` items is a failure of the whole list
        (never a list cut short: what was not read could be what matters)."""
        token: str | None = None
        found: list[Any] = []
        while True:
            query: list[tuple[str, Any]] = [("limit", self.options.page_size)]
            if token:
                query.append(("continue", token))
            page = await self.get_json(path, limit=limit, query=query)
            items = page.get("items")
            if not isinstance(items, list):
                raise FetchError(ErrorCategory.INVALID_RESPONSE, f"{path}: no items list")
            found.extend(items)
            if len(found) > max_items:
                message = f"{path}: more than {max_items} items"
                raise FetchError(ErrorCategory.INVALID_RESPONSE, message)
            token = dig(page, "metadata").get("continue") or None
            if not token:
                return found

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
        self, path: str, limit: int, query: list[tuple[str, Any]]
    ) -> dict[str, Any]:
        async with self._open(path, query, "application/json") as response:
            body = await read_capped(response, limit, self.deadline, path)
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


async def _chunks(response: Any, deadline: float, path: str) -> Any:
    """The body's pieces as they arrive, giving up at the deadline even on a trickle."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(ErrorCategory.TIMEOUT, f"{path}: body not complete in time")
        try:
            chunk = await asyncio.wait_for(response.content.readany(), remaining)
        except TimeoutError:
            raise FetchError(ErrorCategory.TIMEOUT, f"{path}: body not complete in time") from None
        if not chunk:
            return
        yield chunk


async def read_capped(response: Any, limit: int, deadline: float, path: str) -> bytes:
    """Read at most ``limit`` bytes, giving up at the deadline even on a trickling body."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in _chunks(response, deadline, path):
        size += len(chunk)
        if size > limit:
            raise _too_large(path, limit)
        chunks.append(chunk)
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
    searches."""

    def __init__(self, prefix: bytes | tuple[bytes, ...], add: Callable[[bytes], None]) -> None:
        self.prefixes = prefix if isinstance(prefix, tuple) else (prefix,)
        self.add = add
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
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
    scanner = LineScanner(prefix, sink if sink is not None else kept.append)
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(ErrorCategory.TIMEOUT, f"{path}: body not complete in time")
        chunk = response.read1(LINE_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise _too_large(path, limit)
        scanner.feed(chunk)
    scanner.close()
    return kept


def dig(document: Any, *keys: str) -> dict[str, Any]:
    """The mapping at ``keys`` in a JSON document, or an empty one."""
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else {}
