"""Every API read of every cluster goes through here: one GET with the retry rule, the
deadline and a size cap, and paged lists on top of it.

Collection (``/version``, nodes) and platform discovery (the global cluster's records) both
*use* a :class:`Reader`; a new read is one call of :meth:`Reader.get_json` or
:meth:`Reader.list_items`. Errors come out as :class:`~scanner.kube.errors.FetchError` with
a SPEC 4 category and secrets masked.

Retry rule: connection errors and 5xx answers are retried (``retries`` times, with a short
backoff) while the deadline allows; a read timeout, a TLS, auth or content failure is not.
Bodies are read as a stream, up to the caller's size cap, and a body still trickling at the
deadline is a timeout.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from scanner import defaults
from scanner.kube.errors import FetchError, classify
from scanner.model import ErrorCategory
from scanner.secrets import unicode_safe_document

log = logging.getLogger(__name__)

ERROR_BODY_LIMIT = 64 << 10  # of an error answer only the Status message is used
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")  # a JSON escape of a surrogate
ITEM_LIMIT = 100_000  # objects of one list: more is not a fleet, it is a fault
_T = TypeVar("_T")
BUDGET_MARGIN = 2.0  # seconds on top of timeout * (retries + 1), for process scheduling


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


class Reader:
    """The reads of one cluster through one client, all within one deadline. Stateless
    beyond its settings, so two threads may read through the same reader at once."""

    def __init__(
        self,
        api_client: Any,
        secrets: Sequence[str],
        options: ReadOptions,
        deadline: float,
        prefix: str = "",
    ) -> None:
        self.api_client = api_client
        self.prefix = prefix  # "/kubernetes/<cluster>" for a cluster behind the platform proxy
        self.secrets = tuple(secrets)
        self.options = options
        self.deadline = deadline

    def get_json(
        self, path: str, *, limit: int, query: Sequence[tuple[str, Any]] = ()
    ) -> dict[str, Any]:
        """One GET of a JSON object with the retry rule, within the deadline."""
        return self._retrying(path, lambda: self._get_once(path, limit, list(query)))

    def get_lines(self, path: str, *, prefix: bytes | tuple[bytes, ...], limit: int) -> list[bytes]:
        """The lines of a text body that start with ``prefix`` (Prometheus families of
        ``/metrics``), read as a stream: only the kept lines and one chunk are ever held.
        ``limit`` caps the whole body."""
        return self.fold_lines(path, prefix=prefix, limit=limit, start=_LineList).lines

    def fold_lines(
        self, path: str, *, prefix: bytes | tuple[bytes, ...], limit: int, start: Callable[[], _F]
    ) -> _F:
        """Like :meth:`get_lines`, but each kept line goes to ``start()``'s ``add`` as it
        is read (a fresh one per attempt), so a body of a million matching lines is folded
        into what the caller keeps, never held."""

        def once() -> _F:
            folder = start()
            response = self._open(path, [], "text/plain")
            read_lines(response, prefix, limit, self.deadline, path, folder.add)
            return folder

        return self._retrying(path, once)

    def _retrying(self, path: str, read: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            try:
                return read()
            except Exception as exc:  # classified below; anything unknown is re-raised
                error = exc if isinstance(exc, FetchError) else classify(exc, self.secrets)
                attempt += 1
                pause = self.options.backoff * attempt
                remaining = self.deadline - time.monotonic()
                if not error.retryable or attempt > self.options.retries or remaining <= pause:
                    raise error from None
                log.debug("retrying %s after %s", path, error.message)
                time.sleep(pause)

    def list_items(self, path: str, *, limit: int, max_items: int = ITEM_LIMIT) -> Iterator[Any]:
        """Every item of a paged list, page by page (``limit`` and ``continue``); ``limit``
        caps each page's body. More than ``max_items`` items is a failure of the whole list
        (never a list cut short: what was not read could be what matters)."""
        token: str | None = None
        count = 0
        while True:
            query: list[tuple[str, Any]] = [("limit", self.options.page_size)]
            if token:
                query.append(("continue", token))
            page = self.get_json(path, limit=limit, query=query)
            items = page.get("items")
            if not isinstance(items, list):
                raise FetchError(ErrorCategory.INVALID_RESPONSE, f"{path}: no items list")
            count += len(items)
            if count > max_items:
                message = f"{path}: more than {max_items} items"
                raise FetchError(ErrorCategory.INVALID_RESPONSE, message)
            yield from items
            token = dig(page, "metadata").get("continue") or None
            if not token:
                return

    def _open(self, path: str, query: list[tuple[str, Any]], accept: str) -> Any:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(
                ErrorCategory.TIMEOUT, f"no time left of the {self.options.budget:g}s budget"
            )
        timeout = min(self.options.timeout, remaining)
        return get_streaming(self.api_client, self.prefix + path, query, (timeout, timeout), accept)

    def _get_once(self, path: str, limit: int, query: list[tuple[str, Any]]) -> dict[str, Any]:
        response = self._open(path, query, "application/json")
        body = read_capped(response, limit, self.deadline, path)
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


def get_streaming(
    api_client: Any,
    path: str,
    query: list[tuple[str, Any]],
    timeout: tuple[float, float],
    accept: str = "application/json",
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
        header_params={"Accept": accept},
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


def read_capped(response: Any, limit: int, deadline: float, path: str) -> bytes:
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


LINE_CHUNK = 1 << 20


class LineFolder(Protocol):
    def add(self, line: bytes) -> None: ...


_F = TypeVar("_F", bound=LineFolder)


class _LineList:
    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def add(self, line: bytes) -> None:
        self.lines.append(line)


def read_lines(
    response: Any,
    prefix: bytes | tuple[bytes, ...],
    limit: int,
    deadline: float,
    path: str,
    sink: Callable[[bytes], None] | None = None,
) -> list[bytes]:
    """The lines of a streamed body that start with ``prefix`` (or one of several); a chunk
    without one anywhere is skipped whole, so a 20 MB ``/metrics`` costs a few substring
    searches. With ``sink`` each line goes there as it is read and none is kept."""
    prefixes = prefix if isinstance(prefix, tuple) else (prefix,)
    kept: list[bytes] = []
    add = sink if sink is not None else kept.append
    size, tail = 0, b""
    try:
        while True:
            if time.monotonic() > deadline:
                raise FetchError(ErrorCategory.TIMEOUT, f"{path}: body not complete in time")
            chunk = response.read1(LINE_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise FetchError(
                    ErrorCategory.INVALID_RESPONSE, f"{path}: body larger than {limit} bytes"
                )
            data = tail + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                tail = data
                continue
            block, tail = data[:cut], data[cut + 1 :]
            if any(p in block for p in prefixes):
                for line in block.split(b"\n"):
                    if line.startswith(prefixes):
                        add(line)
        if tail.startswith(prefixes):
            add(tail)
        return kept
    finally:
        response.release_conn() if size <= limit else response.close()


def dig(document: Any, *keys: str) -> dict[str, Any]:
    """The mapping at ``keys`` in a JSON document, or an empty one."""
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else {}
