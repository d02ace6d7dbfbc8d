"""Proxies end to end: the scanner's client through SOCKS5 and HTTP CONNECT proxies on
127.0.0.1 to a real TLS server, with the error categories kubectl users expect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.collect import CollectOptions, KubeCollector
from scanner.inputs.kubeconfig import load_kubeconfigs
from scanner.inputs.targets import Target, select_targets
from scanner.model import ErrorCategory, Observation
from tests import loopback_proxy
from tests.conftest import RunningFleet

CONTEXT = "aks-web"


def with_proxy(fleet: RunningFleet, tmp_path: Path, proxy_url: str) -> Target:
    """The demo fleet's kubeconfig with ``proxy-url`` on the cluster of CONTEXT."""
    document = yaml.safe_load(fleet.kubeconfig.read_text())
    cluster = next(c["context"]["cluster"] for c in document["contexts"] if c["name"] == CONTEXT)
    for entry in document["clusters"]:
        if entry["name"] == cluster:
            entry["cluster"]["proxy-url"] = proxy_url
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(document))
    config = load_kubeconfigs([str(path)], explicit=True)
    targets = select_targets(
        config, global_context=None, include=[CONTEXT], exclude=(), inventory=None
    )
    return next(t for t in targets if t.name == CONTEXT)


def collect(target: Target) -> Observation:
    collector = KubeCollector(CollectOptions(timeout=3, retries=0, nodes=True))
    try:
        return collector(target)
    finally:
        collector.close()


def server_port(fleet: RunningFleet) -> int:
    document: dict[str, Any] = yaml.safe_load(fleet.kubeconfig.read_text())
    cluster = next(c["context"]["cluster"] for c in document["contexts"] if c["name"] == CONTEXT)
    server = next(e["cluster"]["server"] for e in document["clusters"] if e["name"] == cluster)
    return int(server.rsplit(":", 1)[1])


PROXIES: dict[str, tuple[str, Callable[..., loopback_proxy.LoopbackProxy]]] = {
    "socks5": ("socks5", loopback_proxy.socks5),
    "socks5h": ("socks5h", loopback_proxy.socks5),
    "http": ("http", loopback_proxy.http_connect),
}


@pytest.mark.parametrize("kind", PROXIES)
def test_a_scan_goes_through_the_proxy(kind: str, demo_fleet: RunningFleet, tmp_path: Path) -> None:
    scheme, make = PROXIES[kind]
    with make() as proxy:
        target = with_proxy(demo_fleet, tmp_path, f"{scheme}://127.0.0.1:{proxy.port}")
        observation = collect(target)
    assert observation.error is None, observation.error
    assert observation.version is not None
    assert observation.nodes is not None and observation.nodes.count > 0
    # Every request went through the proxy, to the cluster's own address.
    assert proxy.requested
    assert {port for _, port in proxy.requested} == {server_port(demo_fleet)}


@pytest.mark.parametrize("kind", PROXIES)
def test_a_proxy_that_refuses_the_tunnel_is_unreachable(
    kind: str, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    scheme, make = PROXIES[kind]
    with make(refuse=True) as proxy:
        target = with_proxy(demo_fleet, tmp_path, f"{scheme}://127.0.0.1:{proxy.port}")
        observation = collect(target)
    assert observation.error is not None
    assert observation.error.category is ErrorCategory.UNREACHABLE
    assert proxy.requested == []
    assert observation.error.message in (
        "proxy error: 403 Forbidden",
        "proxy error: the SOCKS proxy could not open the tunnel (Connection refused by "
        "destination host)",
    )


@pytest.mark.parametrize("kind", PROXIES)
def test_a_proxy_that_is_not_listening_is_unreachable(
    kind: str, demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    scheme, make = PROXIES[kind]
    with make() as proxy:
        port = proxy.port
    # closed: nothing listens on the port any more
    target = with_proxy(demo_fleet, tmp_path, f"{scheme}://127.0.0.1:{port}")
    observation = collect(target)
    assert observation.error is not None
    assert observation.error.category is ErrorCategory.UNREACHABLE, observation.error
    assert observation.error.message in (
        "proxy error: [Errno 111] Connection refused",
        "proxy error: cannot reach the SOCKS proxy (connection refused)",
    )
