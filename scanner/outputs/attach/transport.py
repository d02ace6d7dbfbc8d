"""HTTP for attachments: one retrying session per call, capped reads, one-line failures.

429 and 5xx answers and connection errors are retried (GET and POST: the bodies are bytes in
memory, so a retry sends them again whole); the last answer's status makes the message.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from scanner import __version__
from scanner.outputs.attach.destinations import Auth
from scanner.secrets import scrub

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRIES = 3
RETRY_AFTER_MAX = 60  # a server asking for an hour's pause must not hang a pipeline
MAX_BODY = 1024 * 1024
SNIPPET = 160
DEADLINE_FACTOR = 5  # one request, its retries included, ends within 5 x --timeout
REDIRECTS = 3  # same-host redirects followed; one to another host is a failure


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Hints:
    """What 401, 403 and 404 mean at one destination."""

    unauthorized: str
    forbidden: str
    not_found: str


class RequestFailed(Exception):
    """A request that failed (no answer, or one that stops the work); the message is ready."""


@dataclass(frozen=True)
class Client:
    session: requests.Session
    timeout: float
    label: str
    secrets: Sequence[str]

    def send(self, method: str, url: str, **kwargs: Any) -> Answer:
        """The answer, whatever its status; :class:`RequestFailed` when there is none, when
        it does not end within ``DEADLINE_FACTOR`` x the timeout (a server answering a byte
        at a time), or when the server redirects to another host (a single sign-on page:
        never an attachment, and the credential is never sent there)."""
        deadline = time.monotonic() + DEADLINE_FACTOR * self.timeout
        outcome: list[Answer | BaseException] = []

        def attempt() -> None:
            try:
                outcome.append(self._follow(method, url, deadline, kwargs))
            except BaseException as exc:  # handed to the caller's thread
                outcome.append(exc)

        worker = threading.Thread(target=attempt, name=f"send-{self.label}", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()) + 0.2)
        if not outcome:  # the worker is left on the stuck connection; it is a daemon
            total = DEADLINE_FACTOR * self.timeout
            raise RequestFailed(self.message(f"no complete answer within {total:g}s"))
        found = outcome[0]
        if isinstance(found, BaseException):
            raise found
        return found

    def _follow(self, method: str, url: str, deadline: float, kwargs: dict[str, Any]) -> Answer:
        limits = (self.timeout, self.timeout)
        origin = urlsplit(url)
        for _ in range(REDIRECTS + 1):
            try:
                response = self.session.request(
                    method, url, timeout=limits, stream=True, allow_redirects=False, **kwargs
                )
                with response:
                    body = _read_capped(response, deadline)
                    location = response.headers.get("Location", "")
            except requests.RequestException as exc:
                raise RequestFailed(self.message(_no_answer_text(exc, self.secrets))) from None
            log.debug("%s to %s: %s", method, self.label, response.status_code)
            if response.status_code not in REDIRECT_STATUSES or not location:
                return Answer(response.status_code, body)
            target = urlsplit(urljoin(url, location))
            if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
                raise RequestFailed(
                    self.message(
                        f"HTTP {response.status_code}: redirected to another host "
                        f"({target.scheme}://{target.hostname or '?'}), probably a single "
                        "sign-on page: not attached; use a credential the API accepts directly"
                    )
                )
            if method != "GET" and response.status_code not in (307, 308):
                raise RequestFailed(
                    self.message(f"HTTP {response.status_code}: a {method} was redirected")
                )
            url = urljoin(url, location)
        raise RequestFailed(self.message(f"more than {REDIRECTS} redirects"))

    def message(self, text: str) -> str:
        return scrub(f"{self.label}: {text}", self.secrets)


@contextmanager
def open_client(
    label: str, auth: Auth, secrets: Sequence[str], timeout: float, backoff_factor: float
) -> Iterator[Client]:
    retry = Retry(
        total=RETRIES,
        backoff_factor=backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST"}),
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    with _scrubbed_urllib3_logs(secrets), requests.Session() as session:
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.auth = auth
        session.headers["User-Agent"] = f"upgrade-scanner/{__version__}"
        session.headers["Accept"] = "application/json"
        yield Client(session, timeout, label, secrets)


def status_text(answer: Answer, hints: Hints) -> str:
    """One line for a failed status: what it means here and what to do."""
    status = answer.status
    try:
        head = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        head = f"HTTP {status}"
    special = {
        401: hints.unauthorized,
        403: hints.forbidden,
        404: hints.not_found,
        413: "attachment too large for the server's limit",
    }
    if status in special:
        return f"{head}: {special[status]}"
    detail = _snippet(answer.body)
    retried = f" (after {RETRIES} retries)" if status in RETRY_STATUSES else ""
    return f"{head}{retried}" + (f": {detail}" if detail else "")


REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def _read_capped(response: requests.Response, deadline: float) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY or time.monotonic() > deadline:
            break
    return b"".join(chunks)[:MAX_BODY]


def _no_answer_text(exc: requests.RequestException, secrets: Sequence[str]) -> str:
    from scanner.kube.errors import classify

    # requests wraps urllib3's exception, which neterrors knows how to name.
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    try:
        return classify(inner, secrets).message
    except Exception:
        return f"no answer ({type(exc).__name__})"


def _snippet(body: bytes) -> str:
    """The error text of a Jira, ServiceNow or plain body, short and on one line."""
    text = body.decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        error = document.get("error")
        errors = document.get("errors")
        parts = [
            *(document.get("errorMessages") or []),
            *(f"{k}: {v}" for k, v in (errors.items() if isinstance(errors, dict) else ())),
            *([error.get("message"), error.get("detail")] if isinstance(error, dict) else []),
            document.get("message"),
        ]
        text = "; ".join(str(part) for part in parts if part) or text
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


class _ScrubFilter(logging.Filter):
    def __init__(self, secrets: Sequence[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage(), self.secrets), None
        return True


@contextmanager
def _scrubbed_urllib3_logs(secrets: Sequence[str]) -> Iterator[None]:
    """urllib3 logs the URL path when it retries, and a webhook's path is its secret."""
    loggers = [logging.getLogger(n) for n in ("urllib3.connectionpool", "urllib3.util.retry")]
    scrubber = _ScrubFilter(secrets)
    for logger in loggers:
        logger.addFilter(scrubber)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrubber)
