"""A minimal HTTP/1.1 kube-apiserver stand-in: every listener on one asyncio loop in one thread.

One loop in one daemon thread serves all listeners, so 1,000 clusters cost 1,000 sockets and
no threads. The loop stops by itself after `lifetime` seconds whatever the owner does.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import resource
import socket
import ssl
import struct
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simfleet import platform, responses
from simfleet.spec import Failure
from simfleet.state import ClusterState

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024
_CHUNK = 1024 * 1024
_HANDSHAKE_TIMEOUT = 10.0
_PLAIN_TCP = (Failure.NO_TLS, Failure.RESET)
# Failures of the cluster's own listener: behind the proxy they are the platform's 503.
_UNREACHABLE_BEHIND_PROXY = (
    Failure.REFUSED,
    Failure.RESET,
    Failure.NO_TLS,
    Failure.WRONG_CA,
    Failure.HOSTNAME_MISMATCH,
    Failure.EXPIRED,
)
_NOT_FOUND = "the server could not find the requested resource"


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    keep_alive: bool
    content_length: int


def _parse_head(head: bytes) -> _Request | None:
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    url = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError:
        return None
    return _Request(method, url.path, query, headers, keep_alive, length)


def raise_fd_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            log.debug("could not raise RLIMIT_NOFILE from %s to %s", soft, wanted)
    return soft


class LoopServer:
    """All of a fleet's listeners, served by one event loop in one daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_quiet_exception_handler)
        self._thread = threading.Thread(target=self._run, name="simfleet-loop", daemon=True)
        self._servers: list[asyncio.AbstractServer] = []
        self._reserved: list[socket.socket] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self._shutdown_started = False
        self._ports: dict[str, int] = {}  # every listener's port: platform records point at them
        self._states: dict[str, ClusterState] = {}
        self._proxy: ClusterState | None = None  # the platform proxy's listener, if any
        self.proxy_port: int | None = None
        self.stopped = threading.Event()  # set once the loop has stopped and closed

    def start(
        self,
        states: Sequence[ClusterState],
        lifetime: float,
        proxy: ClusterState | None = None,
    ) -> dict[str, int]:
        """Listen for every cluster on 127.0.0.1; returns {name: port}. With ``proxy`` (a state
        with the platform's credentials and certificate), also the platform proxy: one TLS
        listener serving every cluster at ``/kubernetes/<name>/...`` (``proxy_port``)."""
        self._thread.start()
        self._states = {state.spec.name: state for state in states}
        self._proxy = proxy
        future = asyncio.run_coroutine_threadsafe(self._listen_all(states, lifetime), self._loop)
        try:
            return future.result(timeout=60)
        except BaseException:
            self.close()
            raise

    def close(self, timeout: float = 1.0) -> None:
        """Stop everything within about `timeout` seconds, hung connections included."""
        if self.stopped.is_set() or not self._thread.is_alive():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(self._begin_shutdown)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _begin_shutdown(self) -> None:
        self._loop.create_task(self._shutdown_and_stop())

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            leftovers = asyncio.all_tasks(self._loop)
            for task in leftovers:
                task.cancel()
            try:
                if leftovers:
                    self._loop.run_until_complete(asyncio.wait(leftovers, timeout=0.5))
            except RuntimeError:
                log.debug("simfleet: loop stopped during cleanup")
            finally:
                self._loop.close()
                self.stopped.set()

    async def _listen_all(self, states: Sequence[ClusterState], lifetime: float) -> dict[str, int]:
        self._loop.call_later(lifetime, self._begin_shutdown)
        ports = await asyncio.gather(*(self._listen(state) for state in states))
        self._ports = {state.spec.name: port for state, port in zip(states, ports, strict=True)}
        if self._proxy is not None:
            self.proxy_port = await self._listen(self._proxy)
        return dict(self._ports)

    async def _listen(self, state: ClusterState) -> int:
        failure = state.spec.failure
        if failure is Failure.REFUSED:
            # Bound but never listening: connects are refused and nobody else gets the port.
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            self._reserved.append(sock)
            return int(sock.getsockname()[1])

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Cancelling is how shutdown ends a connection. The task must still finish normally:
            # Python 3.11's StreamReaderProtocol calls task.exception() on it, which raises
            # (and logs a traceback) for a cancelled task.
            with contextlib.suppress(asyncio.CancelledError):
                await self._connection(state, reader, writer)

        tls = failure not in _PLAIN_TCP
        server = await asyncio.start_server(
            on_connect,
            host="127.0.0.1",
            port=0,
            ssl=state.ssl_context if tls else None,
            ssl_handshake_timeout=_HANDSHAKE_TIMEOUT if tls else None,
            limit=_MAX_HEAD,
            backlog=128,
        )
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def _shutdown_and_stop(self) -> None:
        if self._shutdown_started:
            return  # the first call stops the loop; a second stop() would cut the cleanup short
        self._shutdown_started = True
        self._stopping.set()
        for server in self._servers:
            server.close()
        for sock in self._reserved:
            sock.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.sleep(0)
        self._loop.stop()

    async def _connection(
        self, state: ClusterState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        state.record_connection()
        try:
            if state.spec.failure is Failure.NO_TLS:
                await self._stopping.wait()
            elif state.spec.failure is Failure.RESET:
                await self._reset(reader, writer)
            else:
                await self._serve_http(state, reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, TimeoutError):
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _reset(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Wait for the client's first bytes (its TLS ClientHello) so the RST always lands
        # while it is reading: that is a "connection reset by peer", never a clean EOF.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(1), timeout=5)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _serve_http(
        self, state: ClusterState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while not self._stopping.is_set():
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed the connection between requests
            except asyncio.LimitOverrunError:
                await _send_status(writer, 400, "request header too large", keep_alive=False)
                return
            request = _parse_head(head)
            if request is None:
                await _send_status(writer, 400, "malformed request", keep_alive=False)
                return
            if request.content_length:
                await reader.readexactly(min(request.content_length, _MAX_HEAD))
            if not await self._respond(state, request, writer):
                return

    async def _respond(
        self,
        state: ClusterState,
        request: _Request,
        writer: asyncio.StreamWriter,
        trusted: bool = False,
    ) -> bool:
        """Answer one request; returns whether the connection stays open. ``trusted``: the
        platform proxy has authenticated the request already."""
        if state is self._proxy and not trusted:
            return await self._proxied(state, request, writer)
        spec = state.spec
        failure = spec.failure
        has_cert = bool(writer.get_extra_info("peercert"))
        if trusted:
            kind, authenticated = "proxy", True
        else:
            authorization = request.headers.get("authorization", "")
            kind, authenticated = state.authenticate(authorization, has_cert)
        number = state.record_request(request.path, kind)
        if spec.latency:
            await asyncio.sleep(spec.latency)
        keep = request.keep_alive
        path = request.path.rstrip("/") or "/"  # the Python client asks for /version/
        if failure is Failure.HANG:
            await self._stopping.wait()
            return False
        if failure is Failure.HTML:  # a proxy in front of the apiserver, before any auth
            await _send(writer, 200, responses.HTML_LOGIN_PAGE, "text/html; charset=utf-8", keep)
            return keep
        if failure is Failure.FLAKY_503 and number == 1:
            message = "the server is currently unable to handle the request"
            await _send_status(writer, 503, message, keep)
            return keep
        if failure is Failure.STATUS_401 or not authenticated:
            await _send_status(writer, 401, "Unauthorized", keep)
            return keep
        if failure is Failure.STATUS_403:
            message = f'forbidden: User "simfleet-admin" cannot get path "{path}"'
            await _send_status(writer, 403, message, keep)
            return keep
        if failure is Failure.STATUS_500:
            message = "Internal error occurred: etcdserver: request timed out"
            await _send_status(writer, 500, message, keep)
            return keep
        if request.method != "GET":
            message = f"the server does not allow this method: {request.method}"
            await _send_status(writer, 405, message, keep)
            return keep
        if path == "/version":
            return await self._version(state, writer, keep)
        if path == "/api/v1/nodes":
            return await _nodes(state, request, writer)
        key = platform.route(spec.platform, path) if spec.platform is not None else None
        if key is not None and spec.platform is not None:
            return await self._platform(spec.platform, key, request, writer, path)
        if path == "/apis":
            await _send_json(writer, 200, responses.apis_document(spec), keep)
            return keep
        if path == "/metrics":
            if spec.metrics_status != 200:
                message = f'forbidden: User "simfleet-admin" cannot get path "{path}"'
                await _send_status(writer, spec.metrics_status, message, keep)
                return keep
            body = responses.metrics_text(spec)
            await _send(writer, 200, body, "text/plain; version=0.0.4; charset=utf-8", keep)
            return keep
        if path == responses.PATCHES_PATH:
            if spec.patches_status != 200:
                message = (
                    'resourcepatches.operator.alauda.io is forbidden: User "simfleet-admin" '
                    'cannot list resource "resourcepatches" in API group "operator.alauda.io" '
                    "at the cluster scope"
                    if spec.patches_status == 403
                    else _NOT_FOUND
                )
                await _send_status(writer, spec.patches_status, message, keep)
                return keep
            limit = int(request.query.get("limit") or 0)
            page = responses.list_page(
                responses.patch_items(spec), limit, request.query.get("continue", "")
            )
            head = {"apiVersion": responses.PATCH_GROUP_VERSION, "kind": "ResourcePatchList"}
            await _send_json(writer, 200, {**head, **page}, keep)
            return keep
        if path == "/apis/policy/v1/poddisruptionbudgets":
            limit = int(request.query.get("limit") or 0)
            page = responses.list_page(
                responses.pdb_items(spec), limit, request.query.get("continue", "")
            )
            await _send_json(
                writer,
                200,
                {"apiVersion": "policy/v1", "kind": "PodDisruptionBudgetList", **page},
                keep,
            )
            return keep
        if path in ("/healthz", "/livez", "/readyz"):
            await _send(writer, 200, b"ok", "text/plain; charset=utf-8", keep)
            return keep
        await _send_status(writer, 404, _NOT_FOUND, keep)
        return keep

    async def _proxied(
        self, proxy: ClusterState, request: _Request, writer: asyncio.StreamWriter
    ) -> bool:
        """The platform proxy: ``/kubernetes/<name>/<path>`` is ``<path>`` of cluster
        ``<name>``, authenticated with the platform's (the global cluster's) credentials."""
        keep = request.keep_alive
        has_cert = bool(writer.get_extra_info("peercert"))
        kind, authenticated = proxy.authenticate(request.headers.get("authorization", ""), has_cert)
        proxy.record_request(request.path, kind)
        _, root, name, *rest = [*request.path.split("/", 3), ""][:4]
        if root != "kubernetes" or not name:
            await _send_status(writer, 404, _NOT_FOUND, keep)
            return keep
        if not authenticated:
            await _send_status(writer, 401, "Unauthorized", keep)
            return keep
        target = self._states.get(name)
        if target is None:
            await _send_status(writer, 404, f'clusters "{name}" not found', keep)
            return keep
        if target.spec.failure in _UNREACHABLE_BEHIND_PROXY:
            message = f"cluster {name}: the platform cannot reach its API server"
            await _send_status(writer, 503, message, keep)
            return keep
        inner = dataclasses.replace(request, path="/" + (rest[0] if rest else ""))
        return await self._respond(target, inner, writer, trusted=True)

    async def _platform(
        self,
        spec: platform.PlatformSpec,
        key: str,
        request: _Request,
        writer: asyncio.StreamWriter,
        path: str,
    ) -> bool:
        keep = request.keep_alive
        try:
            code, body = platform.answer(spec, key, self._ports, request.query, path)
        except ValueError as exc:  # a bad limit, or responses.BadContinue
            await _send_status(writer, 400, str(exc), keep)
            return keep
        await _send_json(writer, code, body, keep)
        return keep

    async def _version(self, state: ClusterState, writer: asyncio.StreamWriter, keep: bool) -> bool:
        spec = state.spec
        if spec.failure is Failure.STATUS_404:
            await _send_status(writer, 404, _NOT_FOUND, keep)
        elif spec.failure is Failure.NO_VERSION:
            await _send_json(writer, 200, responses.no_version_document(), keep)
        elif spec.failure is Failure.BIG_BODY:
            prefix, padding, suffix = responses.big_body_parts(spec)
            size = len(prefix) + padding + len(suffix)
            writer.write(_head(200, "application/json", size, keep) + prefix)
            chunk = b"x" * _CHUNK
            while padding > 0:
                writer.write(chunk[: min(padding, _CHUNK)])
                padding -= _CHUNK
                await writer.drain()
            writer.write(suffix)
            await writer.drain()
        elif spec.failure is Failure.TRICKLE:
            body = responses.trickle_body(spec)
            writer.write(_head(200, "application/json", len(body), keep))
            for i in range(len(body)):
                writer.write(body[i : i + 1])
                await writer.drain()
                await asyncio.sleep(1.0)
        else:
            await _send_json(writer, 200, responses.version_document(spec), keep)
        return keep


async def _nodes(state: ClusterState, request: _Request, writer: asyncio.StreamWriter) -> bool:
    keep = request.keep_alive
    if state.spec.failure is Failure.NODES_403:
        message = (
            'nodes is forbidden: User "simfleet-admin" cannot list resource "nodes" '
            'in API group "" at the cluster scope'
        )
        await _send_status(writer, 403, message, keep)
        return keep
    try:
        limit = int(request.query.get("limit") or 0)
        page = responses.node_list_page(
            responses.node_items(state.spec), limit, request.query.get("continue", "")
        )
    except ValueError as exc:  # a bad limit, or responses.BadContinue
        await _send_status(writer, 400, str(exc), keep)
        return keep
    await _send_json(writer, 200, page, keep)
    return keep


def _head(code: int, content_type: str, length: int, keep_alive: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {code} {HTTPStatus(code).phrase}",
        f"Audit-Id: {uuid.uuid4()}",
        "Cache-Control: no-cache, private",
        f"Content-Type: {content_type}",
        f"Date: {formatdate(usegmt=True)}",
        f"Content-Length: {length}",
    ]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(
    writer: asyncio.StreamWriter, code: int, body: bytes, content_type: str, keep_alive: bool
) -> None:
    writer.write(_head(code, content_type, len(body), keep_alive) + body)
    await writer.drain()


async def _send_json(writer: asyncio.StreamWriter, code: int, doc: Any, keep_alive: bool) -> None:
    body = doc.encode() if isinstance(doc, responses.RawBody) else json.dumps(doc).encode()
    await _send(writer, code, body, "application/json", keep_alive)


async def _send_status(
    writer: asyncio.StreamWriter, code: int, message: str, keep_alive: bool = True
) -> None:
    await _send_json(writer, code, responses.status_body(code, message), keep_alive)


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Failed handshakes and reset connections are what the failure modes are for.
    if isinstance(context.get("exception"), OSError | TimeoutError):
        log.debug("simfleet: %s", context.get("message"))
        return
    loop.default_exception_handler(context)
