"""The minimal reference client: what the scan's collection would cost with nothing but the
reads themselves. ``make bench`` runs it as a child process beside the scanner, on the same
fleet, in the same run, and prints the ratio.

It does exactly the reads of ``scan --no-plan --no-discovery`` (``GET /version``, then
``GET /api/v1/nodes?limit=500``, one page is every node of the synthetic fleet) for every
context of a kubeconfig, ``--concurrency`` clusters at once on one asyncio event loop, one
TLS connection per cluster carrying both requests, one ``SSLContext`` per distinct CA,
each cluster within ``--timeout`` seconds. It parses both bodies as JSON and counts the
kubelet versions, as the scan's summary needs.

What it leaves out is what makes the scanner a tool: kubeconfig semantics beyond inline
CA data and bearer tokens (files, exec plugins, client certificates, proxies,
``tls-server-name``), retries, size caps, paging, error categories, secret masking, the
report. It is a measuring stick for the transport, never a replacement: it depends on
nothing of the scanner and only on PyYAML and the standard library.

    python -m benchmarks.minimal KUBECONFIG --concurrency 256 --timeout 2 --out RESULT.json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import ssl
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

READS = ("/version", "/api/v1/nodes?limit=500")


def clusters(kubeconfig: Path) -> list[tuple[str, str, bytes, str]]:
    """(context, server, CA PEM, token) of every context; others are left out."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(kubeconfig.read_text(), Loader=loader)  # a safe loader
    by_name = {
        kind: {entry["name"]: entry.get(kind[:-1]) or {} for entry in document.get(kind) or []}
        for kind in ("clusters", "users")
    }
    found = []
    for entry in document.get("contexts") or []:
        context = entry.get("context") or {}
        cluster = by_name["clusters"].get(context.get("cluster"), {})
        user = by_name["users"].get(context.get("user"), {})
        ca = base64.b64decode(cluster.get("certificate-authority-data", ""))
        if cluster.get("server") and user.get("token"):
            found.append((entry["name"], cluster["server"], ca, user["token"]))
    return found


class Contexts:
    """One ``SSLContext`` per distinct CA."""

    def __init__(self) -> None:
        self._by_ca: dict[bytes, ssl.SSLContext] = {}

    def get(self, ca: bytes) -> ssl.SSLContext:
        context = self._by_ca.get(ca)
        if context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(cadata=ca.decode())
            self._by_ca[ca] = context
        return context


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: the status and the body (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    return status, await reader.readexactly(int(headers.get(b"content-length", b"0")))


async def read_cluster(
    server: str, ca: bytes, token: str, contexts: Contexts
) -> dict[str, int] | str:
    url = urlsplit(server)
    host, port = url.hostname or "", url.port or 443
    reader, writer = await asyncio.open_connection(
        host, port, ssl=contexts.get(ca), server_hostname=host
    )
    try:
        documents: list[Any] = []
        for path in READS:
            writer.write(
                f"GET {url.path.rstrip('/')}{path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n".encode()
            )
            status, body = await read_response(reader)
            if status != 200:
                return f"HTTP {status}"
            documents.append(json.loads(body))
        if not documents[0].get("gitVersion"):
            return "no gitVersion"
        kubelets = Counter(
            (item.get("status") or {}).get("nodeInfo", {}).get("kubeletVersion", "unknown")
            for item in documents[1].get("items") or []
        )
        return dict(kubelets)
    finally:
        writer.close()


async def read_fleet(
    targets: list[tuple[str, str, bytes, str]], concurrency: int, timeout: float
) -> Counter[str]:
    gate = asyncio.Semaphore(concurrency)
    contexts = Contexts()
    outcomes: Counter[str] = Counter()

    async def one(server: str, ca: bytes, token: str) -> None:
        async with gate:
            try:
                async with asyncio.timeout(timeout):
                    result = await read_cluster(server, ca, token, contexts)
                outcomes["ok" if isinstance(result, dict) else result] += 1
            except TimeoutError:
                outcomes["timeout"] += 1
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError) as exc:
                outcomes[type(exc).__name__] += 1

    await asyncio.gather(*(one(server, ca, token) for _, server, ca, token in targets))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.minimal", description=__doc__)
    parser.add_argument("kubeconfig", type=Path)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    targets = clusters(args.kubeconfig)
    outcomes = asyncio.run(read_fleet(targets, args.concurrency, args.timeout))
    result = {
        "clusters": len(targets),
        "outcomes": dict(outcomes),
        "seconds": round(time.perf_counter() - started, 3),
    }
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
