"""Mapping every way a request can fail to one SPEC 4 error category.

The retry rule lives here too: connection errors and 5xx answers are retryable; a read
timeout, a TLS failure, an auth failure or a bad body is not (trying again would only
spend the budget to get the same answer).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
from collections.abc import Sequence

from scanner.model import ErrorCategory, ScanError
from scanner.secrets import scrub


class FetchError(Exception):
    """A read that failed: its SPEC 4 category, a message without secrets, whether it may
    be retried, and the HTTP status when the server answered one (callers test ``status``,
    never the message text)."""

    def __init__(
        self,
        category: ErrorCategory,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
    ):
        super().__init__(message)
        self.category = category
        self.message = message
        self.retryable = retryable
        self.status = status

    @property
    def not_found(self) -> bool:
        return self.status == 404

    def as_scan_error(self) -> ScanError:
        return ScanError(self.category, self.message)


def classify(exc: BaseException, secrets: Sequence[str] = ()) -> FetchError:
    """Turn an exception from the client stack into a :class:`FetchError` (secrets masked)."""
    error = _classify(exc)
    if error is None:
        raise exc
    error.message = scrub(error.message, secrets)
    return error


def _classify(exc: BaseException) -> FetchError | None:
    import urllib3.exceptions as u3
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        return _from_status(exc.status or 0, exc.reason or "", exc.body)
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        return _classify(exc.reason)
    if isinstance(exc, u3.SSLError | ssl.SSLError | ssl.CertificateError):
        return _tls(str(exc))
    if isinstance(exc, u3.ReadTimeoutError | TimeoutError | socket.timeout):
        return FetchError(ErrorCategory.TIMEOUT, "no answer before the read timeout")
    if isinstance(exc, u3.ProxyError):
        return FetchError(ErrorCategory.UNREACHABLE, f"proxy error: {_tail(exc)}", retryable=True)
    if isinstance(exc, u3.NameResolutionError):
        return FetchError(ErrorCategory.UNREACHABLE, "host name does not resolve", retryable=True)
    if isinstance(exc, u3.NewConnectionError):
        if type(getattr(exc, "conn", None)).__name__.startswith("SOCKS"):
            # PySocks reports the proxy's own failures and the tunnel's the same way;
            # say "proxy" as an HTTP proxy's errors do, so the user looks at the right hop.
            return FetchError(
                ErrorCategory.UNREACHABLE, f"proxy error: {_socks_text(exc)}", retryable=True
            )
        return FetchError(ErrorCategory.UNREACHABLE, _connection_text(exc), retryable=True)
    # After NewConnectionError, which urllib3 derives from ConnectTimeoutError.
    if isinstance(exc, u3.ConnectTimeoutError):
        return FetchError(ErrorCategory.TIMEOUT, "connect timed out", retryable=True)
    if isinstance(exc, u3.ProtocolError):
        inner = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(inner, http.client.IncompleteRead | u3.InvalidChunkLength):
            return FetchError(ErrorCategory.INVALID_RESPONSE, "body ended early")
        if isinstance(inner, TimeoutError | socket.timeout):
            return FetchError(ErrorCategory.TIMEOUT, "no answer before the read timeout")
        return FetchError(ErrorCategory.UNREACHABLE, _connection_text(exc), retryable=True)
    if isinstance(exc, http.client.HTTPException | u3.HTTPError):
        return FetchError(ErrorCategory.INVALID_RESPONSE, f"not an HTTP answer: {_tail(exc)}")
    if isinstance(exc, ConnectionError | OSError):
        return FetchError(ErrorCategory.UNREACHABLE, _connection_text(exc), retryable=True)
    return None


def _from_status(status: int, reason: str, body: object) -> FetchError:
    if status == 0:  # the client turns urllib3's SSLError into ApiException(status=0)
        return _tls(reason)
    detail = _status_message(body)
    text = f"HTTP {status} {reason}".strip() + (f": {detail}" if detail else "")
    if status in (401, 403):
        return FetchError(ErrorCategory.AUTH, text, status=status)
    return FetchError(ErrorCategory.HTTP, text, retryable=status >= 500, status=status)


def _status_message(body: object) -> str:
    """The ``message`` of a Kubernetes Status body; nothing for HTML or other bodies."""
    if not isinstance(body, str) or not body.lstrip().startswith("{"):
        return ""
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    message = document.get("message") if isinstance(document, dict) else None
    return str(message)[:200] if message else ""


_TLS_REASON = re.compile(r"\[SSL: [A-Z_]+\] ([^(]+)|certificate verify failed: ([^(]+)")


def _tls(text: str) -> FetchError:
    if "timed out" in text:  # a handshake that never completes is a timeout, not a TLS fault
        return FetchError(ErrorCategory.TIMEOUT, "TLS handshake timed out", retryable=True)
    match = _TLS_REASON.search(text)
    reason = (match.group(2) or match.group(1)).strip() if match else _tail_text(text)
    if "hostname" in text.lower() and "match" in text.lower():
        reason = "certificate does not match the server name"
    return FetchError(ErrorCategory.TLS, f"TLS: {reason}")


def _connection_text(exc: BaseException) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "reset" in text:
        return "connection reset by peer"
    if "aborted" in text or "disconnected" in text or "closed" in text:
        return "connection closed before an answer"
    return f"connection failed: {_tail(exc)}"


def _socks_text(exc: BaseException) -> str:
    text = str(exc).split("Failed to establish a new connection: ", 1)[-1]
    if text.startswith(("Error connecting to SOCKS", "[Errno")):  # an OS error: the first hop
        return f"cannot reach the SOCKS proxy ({_connection_text(exc)})"
    return f"the SOCKS proxy could not open the tunnel ({_tail_text(text)})"


def _tail(exc: BaseException) -> str:
    return _tail_text(str(exc))


def _tail_text(text: str) -> str:
    # urllib3 messages repeat the pool and URL; the last clause is the useful part.
    return text.rsplit(": ", 1)[-1].strip(" ')\"")[:200] or text[:200]
