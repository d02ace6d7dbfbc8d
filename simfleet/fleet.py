"""Fleet: start simulated clusters on 127.0.0.1 and write the kubeconfig that reaches them."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from simfleet import kubeconfig
from simfleet.certs import CertFactory, ClusterCerts
from simfleet.server import LoopServer, raise_fd_limit
from simfleet.spec import ClusterSpec
from simfleet.state import ClusterState, ClusterStats


@dataclass(frozen=True)
class _Cluster:
    spec: ClusterSpec
    state: ClusterState
    certs: ClusterCerts
    exec_secret: str


class Fleet:
    """A set of simulated clusters served from a background thread.

    `with Fleet(specs) as fleet:` listens on 127.0.0.1 (one port per cluster) until the block
    ends, `close()` is called, or `lifetime` seconds pass: whichever comes first.
    """

    def __init__(
        self, specs: Iterable[ClusterSpec], *, lifetime: float = 120.0, shared_ca: bool = False
    ) -> None:
        self.specs: tuple[ClusterSpec, ...] = tuple(specs)
        if not self.specs:
            raise ValueError("a fleet needs at least one cluster")
        names = [spec.name for spec in self.specs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate cluster names: {', '.join(duplicates)}")
        if lifetime <= 0:
            raise ValueError("lifetime must be > 0 seconds")
        self.lifetime = lifetime
        self.shared_ca = shared_ca
        self._clusters: dict[str, _Cluster] = {}
        self._ports: dict[str, int] = {}
        self._server: LoopServer | None = None
        self._proxy_owner: str | None = None  # the cluster whose credentials the proxy takes

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Fleet:
        if self._server is not None:
            raise RuntimeError("the fleet was already started")
        raise_fd_limit()
        factory = CertFactory(shared_ca=self.shared_ca)
        for spec in self.specs:
            certs = factory.for_cluster(spec)
            state = ClusterState(
                spec=spec,
                token=secrets.token_hex(24),
                username=f"admin-{spec.name}",
                password=secrets.token_urlsafe(18),
                ssl_context=certs.server_context,
            )
            self._clusters[spec.name] = _Cluster(spec, state, certs, secrets.token_hex(16))
        self._server = LoopServer()
        states = [cluster.state for cluster in self._clusters.values()]
        self._ports = self._server.start(states, self.lifetime, self._proxy_state())
        return self

    def _proxy_state(self) -> ClusterState | None:
        """The platform proxy: served when a cluster has platform APIs (the global one), with
        its certificate and credentials, and its own counters."""
        owner = next((c for c in self._clusters.values() if c.spec.platform is not None), None)
        if owner is None:
            return None
        state = owner.state
        self._proxy_owner = owner.spec.name
        return ClusterState(
            spec=owner.spec,
            token=state.token,
            username=state.username,
            password=state.password,
            ssl_context=state.ssl_context,
        )

    def close(self) -> None:
        """Stop every listener and connection; idempotent, returns within about a second."""
        if self._server is not None:
            self._server.close()

    @property
    def closed(self) -> bool:
        return self._server is not None and self._server.stopped.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the fleet has stopped (lifetime or close()); returns whether it has."""
        if self._server is None:
            raise RuntimeError("the fleet was never started")
        return self._server.stopped.wait(timeout)

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- per-cluster facts -----------------------------------------------------------------

    def _get(self, name: str) -> _Cluster:
        if not self._clusters:
            raise RuntimeError("the fleet is not started")
        try:
            return self._clusters[name]
        except KeyError:
            raise KeyError(f"no cluster named {name!r} in this fleet") from None

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    def spec(self, name: str) -> ClusterSpec:
        return self._get(name).spec

    def port(self, name: str) -> int:
        self._get(name)
        return self._ports[name]

    def ports(self) -> dict[str, int]:
        return dict(self._ports)

    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.port(name)}"

    def token(self, name: str) -> str:
        """The bearer token the server accepts (also what the exec plugin prints)."""
        return self._get(name).state.token

    def basic_auth(self, name: str) -> tuple[str, str]:
        state = self._get(name).state
        return state.username, state.password

    def client_cert(self, name: str) -> tuple[bytes, bytes]:
        """(certificate PEM, key PEM) of the client cert the server accepts."""
        certs = self._get(name).certs
        return certs.client_cert_pem, certs.client_key_pem

    def ca_pem(self, name: str) -> bytes:
        """The CA the kubeconfig trusts for this cluster."""
        return self._get(name).certs.ca_pem

    def exec_secret(self, name: str) -> str:
        return self._get(name).exec_secret

    @property
    def proxy_url(self) -> str | None:
        """``https://127.0.0.1:<port>`` of the platform proxy, None when there is none."""
        port = self._server.proxy_port if self._server is not None else None
        return f"https://127.0.0.1:{port}" if port else None

    def proxy_stats(self) -> ClusterStats | None:
        """What the platform proxy saw; ``connections`` counts TLS handshakes."""
        proxy = self._server._proxy if self._server is not None else None
        return proxy.stats() if proxy is not None else None

    def stats(self, name: str) -> ClusterStats:
        return self._get(name).state.stats()

    def requests(self, name: str) -> int:
        return self.stats(name).requests

    def auth_kinds(self, name: str) -> dict[str, int]:
        """Requests by credential kind: bearer, basic, cert, anonymous, other."""
        return self.stats(name).auth

    def sensitive_values(self) -> list[str]:
        """Every secret the kubeconfig holds, in the forms it holds them: reports and logs must
        contain none of these."""
        values: set[str] = set()
        for cluster in self._clusters.values():
            state, certs = cluster.state, cluster.certs
            values.update((state.token, state.password, cluster.exec_secret))
            for pem in (certs.client_key_pem, certs.client_cert_pem):
                values.add(pem.decode())
                values.add(base64.b64encode(pem).decode())
        return sorted(values)

    # -- kubeconfig ------------------------------------------------------------------------

    def write_kubeconfig(
        self,
        path: str | os.PathLike[str],
        *,
        current_context: str | None = None,
        embed: bool = True,
        omit: Iterable[str] = (),
        via_proxy: Iterable[str] = (),
    ) -> Path:
        """Write one kubeconfig for the whole fleet: contexts named like the clusters.

        With embed=False, CA and client cert files go to `<path>.d/<cluster>/`. Clusters in
        ``omit`` get no context (the platform still records them); those in ``via_proxy``
        are reached through the platform proxy, with the platform's credentials.
        """
        if not self._ports:
            raise RuntimeError("start the fleet before writing its kubeconfig")
        current = current_context or self.specs[0].name
        self._get(current)
        left_out, proxied = set(omit), set(via_proxy)
        entries = [
            self._entry(name, name in proxied) for name in self.names if name not in left_out
        ]
        return kubeconfig.write_kubeconfig(Path(path).absolute(), entries, current, embed)

    def _entry(self, name: str, via_proxy: bool = False) -> kubeconfig.KubeconfigEntry:
        server = self.url(name)
        if via_proxy:
            if self.proxy_url is None or self._proxy_owner is None:
                raise RuntimeError("this fleet has no platform proxy (no cluster has platform)")
            server = f"{self.proxy_url}/kubernetes/{name}"
            name_for_credentials = self._proxy_owner
        else:
            name_for_credentials = name
        cluster = self._get(name_for_credentials)
        state, certs = cluster.state, cluster.certs
        return kubeconfig.KubeconfigEntry(
            name=name,
            server=server,
            ca_pem=certs.ca_pem,
            auth=cluster.spec.auth,
            token=state.token,
            username=state.username,
            password=state.password,
            exec_mode=cluster.spec.exec_mode,
            exec_secret=cluster.exec_secret,
            client_cert_pem=certs.client_cert_pem,
            client_key_pem=certs.client_key_pem,
            missing_client_cert=cluster.spec.missing_client_cert,
        )
