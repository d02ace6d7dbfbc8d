"""Mapping every way a request can fail to one SPEC 4 error category.

The retry rule lives here too: connection errors and 5xx answers are retryable; a read
timeout, a TLS failure, an auth failure or a bad body is not (trying again would only
spend the budget to get the same answer).
"""

from __future__ import annotations

import json
import os
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
    """Turn an exception from the HTTP stack into a :class:`FetchError` (secrets masked)."""
    error = _classify(exc)
    if error is None:
        raise exc
    error.message = scrub(error.message, secrets)
    return error


def _classify(exc: BaseException) -> FetchError | None:
    import aiohttp
    import aiohttp_socks
    import python_socks

    if isinstance(exc, FetchError):
        return exc
    if type(exc).__module__.startswith(("urllib3", "http.client")):
        return _classify_urllib3(exc)  # ticket systems are reached through requests
    if isinstance(exc, python_socks.ProxyConnectionError | aiohttp_socks.ProxyConnectionError):
        # The first hop: nothing answers at the proxy's address.
        text = f"cannot reach the SOCKS proxy ({_connection_text(exc)})"
        return FetchError(ErrorCategory.UNREACHABLE, f"proxy error: {text}", retryable=True)
    if isinstance(exc, python_socks.ProxyTimeoutError | aiohttp_socks.ProxyTimeoutError):
        return FetchError(ErrorCategory.TIMEOUT, "proxy error: the SOCKS proxy timed out")
    if isinstance(exc, python_socks.ProxyError | aiohttp_socks.ProxyError):
        # The proxy answered but would not open the tunnel (its reply names why).
        text = f"the SOCKS proxy could not open the tunnel ({_tail(exc)})"
        return FetchError(ErrorCategory.UNREACHABLE, f"proxy error: {text}", retryable=True)
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        text = f"{exc.status} {exc.message}".strip()
        return FetchError(ErrorCategory.UNREACHABLE, f"proxy error: {text}", retryable=True)
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        code = exc.os_error.errno
        inner = f"[Errno {code}] {os.strerror(code)}" if code else str(exc.os_error)
        return FetchError(ErrorCategory.UNREACHABLE, f"proxy error: {inner}", retryable=True)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return _tls(str(exc.certificate_error))
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError | ssl.CertificateError):
        return _tls(str(exc))
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return FetchError(ErrorCategory.UNREACHABLE, "host name does not resolve", retryable=True)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FetchError(ErrorCategory.TIMEOUT, "connect timed out", retryable=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FetchError(ErrorCategory.UNREACHABLE, _connection_text(exc), retryable=True)
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError | socket.timeout):
        return FetchError(ErrorCategory.TIMEOUT, "no answer before the read timeout")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FetchError(
            ErrorCategory.UNREACHABLE, "connection closed before an answer", retryable=True
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchError(ErrorCategory.INVALID_RESPONSE, "body ended early")
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchError(ErrorCategory.INVALID_RESPONSE, f"not an HTTP answer: {exc.message}")
    if isinstance(exc, aiohttp.ClientOSError | ConnectionError | OSError):
        return FetchError(ErrorCategory.UNREACHABLE, _connection_text(exc), retryable=True)
    if isinstance(exc, aiohttp.ClientError):
        return FetchError(ErrorCategory.UNREACHABLE, f"connection failed: {_tail(exc)}")
    return None


def _classify_urllib3(exc: BaseException) -> FetchError | None:
    """requests' transport (ticket attachments), named as the cluster errors are."""
    import http.client

    import urllib3.exceptions as u3

    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        return _classify(exc.reason)
    if isinstance(exc, u3.SSLError):
        return _tls(str(exc))
    if isinstance(exc, u3.ProxyError):
        return FetchError(ErrorCategory.UNREACHABLE, f"proxy error: {_tail(exc)}", retryable=True)
    if isinstance(exc, u3.NameResolutionError):
        return FetchError(ErrorCategory.UNREACHABLE, "host name does not resolve", retryable=True)
    if isinstance(exc, u3.NewConnectionError):
        return FetchError(ErrorCategory.UNREACHABLE, _connection_text(exc), retryable=True)
    if isinstance(exc, u3.ConnectTimeoutError):
        return FetchError(ErrorCategory.TIMEOUT, "connect timed out", retryable=True)
    if isinstance(exc, u3.ReadTimeoutError):
        return FetchError(ErrorCategory.TIMEOUT, "no answer before the read timeout")
    if isinstance(exc, u3.ProtocolError):
        inner = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(inner, http.client.IncompleteRead | u3.InvalidChunkLength):
            return FetchError(ErrorCategory.INVALID_RESPONSE, "body ended early")
        return FetchError(ErrorCategory.UNREACHABLE, _connection_text(exc), retryable=True)
    if isinstance(exc, http.client.HTTPException | u3.HTTPError):
        return FetchError(ErrorCategory.INVALID_RESPONSE, f"not an HTTP answer: {_tail(exc)}")
    return None


def status_error(status: int, reason: str, body: object) -> FetchError:
    """A non-2xx answer: its category by status, the Kubernetes Status message if any."""
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
    os_error = getattr(exc, "os_error", None) or exc.__cause__ or exc
    if isinstance(os_error, ConnectionRefusedError) or "connect call failed" in str(exc).lower():
        return "connection refused"
    if isinstance(os_error, ConnectionResetError):
        return "connection reset by peer"
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "reset" in text:
        return "connection reset by peer"
    if "aborted" in text or "disconnected" in text or "closed" in text:
        return "connection closed before an answer"
    return f"connection failed: {_tail(exc)}"


def _tail(exc: BaseException) -> str:
    return _tail_text(str(exc))


def _tail_text(text: str) -> str:
    # Client messages repeat the host and URL; the last clause is the useful part.
    return text.rsplit(": ", 1)[-1].strip(" ')\"")[:200] or text[:200]
