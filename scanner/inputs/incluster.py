"""``--in-cluster``: the global cluster is the one this pod runs in, reached with the pod's
service account, as the Kubernetes client libraries do (``KUBERNETES_SERVICE_HOST``/``PORT``
and the token and CA mounted under ``/var/run/secrets/kubernetes.io/serviceaccount``).

The token is read from its file at each scan (``tokenFile``), so a rotated projected token
is picked up. Workload clusters still come from kubeconfig files (mounted from a Secret).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from scanner.errors import UsageError
from scanner.inputs.kubeconfig import ClusterEntry, UserEntry
from scanner.inputs.targets import Target
from scanner.model import Role

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
CONTEXT_NAME = "in-cluster"


def in_cluster_target(
    *,
    environ: Mapping[str, str] | None = None,
    account_dir: str | None = None,
    kind: str = "unknown",
    name: str = "",
) -> Target:
    env = os.environ if environ is None else environ
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise UsageError(
            "--in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; "
            "run inside a pod, or use --global-context with a kubeconfig instead"
        )
    account_dir = account_dir or SERVICE_ACCOUNT_DIR
    token, ca = Path(account_dir) / "token", Path(account_dir) / "ca.crt"
    missing = [str(p) for p in (token, ca) if not p.is_file()]
    if missing:
        raise UsageError(
            f"--in-cluster: {', '.join(missing)} not found; mount the pod's service account "
            "token (automountServiceAccountToken: true)"
        )
    bracketed = f"[{host}]" if ":" in host else host  # an IPv6 service address
    server = f"https://{bracketed}:{port}"
    source = f"service account {account_dir}"
    return Target(
        context=CONTEXT_NAME,
        role=Role.GLOBAL,
        name=name or CONTEXT_NAME,
        kind=kind,
        server=server,
        cluster=ClusterEntry(
            name=CONTEXT_NAME, server=server, file=source, certificate_authority=str(ca)
        ),
        user=UserEntry(name=CONTEXT_NAME, file=source, token_file=str(token)),
    )
