"""Certificates for the simulated fleet: a CA per cluster (or one shared), server and client certs.

ECDSA keys throughout: generating 1,000 of them takes well under a second.
"""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass

import trustme

from simfleet.spec import ClusterSpec, Failure

SERVER_IDENTITIES = ("127.0.0.1", "localhost")
MISMATCH_IDENTITY = "other.invalid"
_EXPIRED_NOT_BEFORE = datetime.datetime(2020, 1, 1)
_EXPIRED_NOT_AFTER = datetime.datetime(2021, 1, 1)


@dataclass(frozen=True)
class ClusterCerts:
    ca_pem: bytes  # what the kubeconfig trusts
    server_context: ssl.SSLContext  # what the listener presents
    client_cert_pem: bytes  # for the `cert` user, issued by the cluster CA
    client_key_pem: bytes


class _Authority:
    """One CA with the server contexts and client cert it issues, each made once."""

    def __init__(self, ca: trustme.CA) -> None:
        self.ca = ca
        self.ca_pem: bytes = ca.cert_pem.bytes()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._client: tuple[bytes, bytes] | None = None

    def client_cert(self) -> tuple[bytes, bytes]:
        if self._client is None:
            leaf = self.ca.issue_cert(
                "admin@simfleet.invalid",
                common_name="simfleet-admin",
                organization_name="system:masters",
            )
            self._client = (leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes())
        return self._client

    def server_context(self, kind: str, rogue: trustme.CA) -> ssl.SSLContext:
        """kind: "ok", or the certificate failure modes (wrong_ca, hostname_mismatch, expired)."""
        if kind not in self._contexts:
            if kind == Failure.WRONG_CA:
                leaf = rogue.issue_cert(*SERVER_IDENTITIES)
            elif kind == Failure.HOSTNAME_MISMATCH:
                leaf = self.ca.issue_cert(MISMATCH_IDENTITY)
            elif kind == Failure.EXPIRED:
                leaf = self.ca.issue_cert(
                    *SERVER_IDENTITIES,
                    not_before=_EXPIRED_NOT_BEFORE,
                    not_after=_EXPIRED_NOT_AFTER,
                )
            else:
                leaf = self.ca.issue_cert(*SERVER_IDENTITIES, common_name="kube-apiserver")
            self._contexts[kind] = _make_server_context(leaf, self.ca)
        return self._contexts[kind]


def _make_server_context(leaf: trustme.LeafCert, client_ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    leaf.configure_cert(ctx)
    # Like kube-apiserver with --client-ca-file: a client cert is asked for, not required,
    # and verified against the cluster CA when one is sent.
    ctx.verify_mode = ssl.CERT_OPTIONAL
    client_ca.configure_trust(ctx)
    return ctx


class CertFactory:
    """Hands out ClusterCerts; with shared_ca every cluster uses one CA (big fleets)."""

    def __init__(self, *, shared_ca: bool = False) -> None:
        self._shared = _Authority(trustme.CA()) if shared_ca else None
        self._rogue: trustme.CA | None = None

    def _rogue_ca(self) -> trustme.CA:
        if self._rogue is None:
            self._rogue = trustme.CA(organization_name="Somebody Else's CA")
        return self._rogue

    def for_cluster(self, spec: ClusterSpec) -> ClusterCerts:
        authority = self._shared or _Authority(trustme.CA(organization_unit_name=spec.name))
        cert_failures = (Failure.WRONG_CA, Failure.HOSTNAME_MISMATCH, Failure.EXPIRED)
        kind = str(spec.failure) if spec.failure in cert_failures else "ok"
        rogue = self._rogue_ca() if kind == Failure.WRONG_CA else authority.ca
        cert_pem, key_pem = authority.client_cert()
        return ClusterCerts(
            ca_pem=authority.ca_pem,
            server_context=authority.server_context(kind, rogue),
            client_cert_pem=cert_pem,
            client_key_pem=key_pem,
        )
