"""Small forwarding proxies on 127.0.0.1 for tests: SOCKS5 (no authentication) and HTTP
CONNECT. Each records the destinations it was asked for, can refuse them, and stops by
itself after ``lifetime`` seconds if the test never closes it."""

from __future__ import annotations

import select
import socket
import struct
import threading
from collections.abc import Callable


class LoopbackProxy:
    def __init__(
        self,
        handshake: Callable[[socket.socket], tuple[str, int] | None],
        *,
        refuse: bool = False,
        lifetime: float = 60.0,
    ) -> None:
        self._handshake = handshake
        self.refuse = refuse
        self.requested: list[tuple[str, int]] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._timer = threading.Timer(lifetime, self._stop.set)
        self._timer.daemon = True
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LoopbackProxy:
        self._timer.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._timer.cancel()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with conn:
            try:
                destination = self._handshake(conn)
            except (OSError, ValueError):
                return
            if destination is None:
                return
            self.requested.append(destination)
            self._relay(conn, destination)

    def _relay(self, conn: socket.socket, destination: tuple[str, int]) -> None:
        with socket.create_connection(destination, timeout=10) as upstream:
            sockets = [conn, upstream]
            while not self._stop.is_set():
                readable, _, _ = select.select(sockets, [], [], 0.2)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is conn else conn).sendall(data)


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ValueError("closed early")
        data += chunk
    return data


def socks5(*, refuse: bool = False, lifetime: float = 60.0) -> LoopbackProxy:
    """RFC 1928 CONNECT without authentication; ``refuse`` answers "connection refused"."""
    proxy: LoopbackProxy

    def handshake(conn: socket.socket) -> tuple[str, int] | None:
        version, methods = _read_exact(conn, 2)
        if version != 5:
            return None
        _read_exact(conn, methods)
        conn.sendall(b"\x05\x00")
        _, command, _, address_type = _read_exact(conn, 4)
        if address_type == 1:
            host = socket.inet_ntoa(_read_exact(conn, 4))
        elif address_type == 3:
            host = _read_exact(conn, _read_exact(conn, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _read_exact(conn, 16))
        (port,) = struct.unpack("!H", _read_exact(conn, 2))
        if command != 1 or proxy.refuse:
            conn.sendall(b"\x05\x05\x00\x01" + bytes(6))  # connection refused
            return None
        conn.sendall(b"\x05\x00\x00\x01" + bytes(6))
        return host, port

    proxy = LoopbackProxy(handshake, refuse=refuse, lifetime=lifetime)
    return proxy


def http_connect(*, refuse: bool = False, lifetime: float = 60.0) -> LoopbackProxy:
    """An HTTP proxy that only tunnels (CONNECT); ``refuse`` answers 403."""
    proxy: LoopbackProxy

    def handshake(conn: socket.socket) -> tuple[str, int] | None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return None
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT" or proxy.refuse:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return None
        host, _, port = target.rpartition(":")
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        return host.strip("[]"), int(port)

    proxy = LoopbackProxy(handshake, refuse=refuse, lifetime=lifetime)
    return proxy
