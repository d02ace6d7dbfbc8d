"""What is installed on each cluster, as the global cluster records it: extensions
(``moduleinfoes``) and the cluster's base module (``clustermodules``), attached to clusters
by label, owner or name. Plain data, no I/O. (Resource patches live in each cluster: they
are collection's, :mod:`scanner.collect.patches`.)"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.kube.documents import conditions_of, dig, listed, text
from scanner.model import Condition, Extension

CLUSTER_LABEL = "cpaas.io/cluster-name"
MODULE_LABEL = "cpaas.io/module-name"
LIFECYCLE_LABEL = "cpaas.io/lifecycle-type"


@dataclass(frozen=True)
class ClusterModuleState:
    """A ClusterModule (one per cluster, named after it): whether the platform could upgrade
    its base. ``phase`` and ``conditions`` are what the vendor's validation steps check
    although the published CRD lacks them (read when present); ``version`` is
    ``spec.version``, the cluster's platform (distribution) version (evidence only)."""

    name: str
    deploy_status: str = ""
    running_status: str = ""
    upgradable: bool | None = None
    unable_reason: str = ""
    phase: str = ""
    conditions: tuple[Condition, ...] = ()
    version: str = ""


def read_module_infos(
    found: Sequence[Mapping[str, Any]], cluster_names: Sequence[str]
) -> dict[str, tuple[Extension, ...]]:
    """Extensions by cluster. The cluster is the ``cpaas.io/cluster-name`` label, else the
    owner reference's name (a global instance may lack the label), else the longest known
    cluster name the object's name starts with (``<cluster>-<hash>``)."""
    by_cluster: dict[str, list[Extension]] = {}
    names = sorted(set(cluster_names), key=len, reverse=True)
    for item in found:
        meta = dig(item, "metadata")
        labels = dig(meta, "labels")
        name = text(meta.get("name"))
        owners = [o for o in listed(meta.get("ownerReferences")) if isinstance(o, dict)]
        cluster = text(labels.get(CLUSTER_LABEL)) or (text(owners[0].get("name")) if owners else "")
        if not cluster:
            cluster = next((n for n in names if name.startswith(f"{n}-")), "")
        if not cluster:
            continue
        status, spec = dig(item, "status"), dig(item, "spec")
        reasons = [text(r) for r in listed(status.get("blockReasons")) if isinstance(r, str)]
        extension = Extension(
            module=text(labels.get(MODULE_LABEL)) or text(spec.get("name")) or name,
            name=name,
            version=text(status.get("version")),
            target_version=text(spec.get("version")),
            phase=text(status.get("phase")),
            # The label is documented on ModulePluginView, not on ModuleInfo: without it
            # the lifecycle is not known (never assumed agnostic).
            lifecycle=(text(labels.get(LIFECYCLE_LABEL)) or "unknown").lower(),
            transit_version=text(status.get("transitVersion")),
            block_reasons=tuple(r for r in reasons if r),
            conditions=conditions_of(status.get("conditions")),
        )
        by_cluster.setdefault(cluster, []).append(extension)
    return {
        cluster: tuple(sorted(extensions, key=lambda e: e.module))
        for cluster, extensions in by_cluster.items()
    }


def read_cluster_modules(found: Sequence[Mapping[str, Any]]) -> dict[str, ClusterModuleState]:
    """ClusterModules by cluster: the ``cpaas.io/cluster-name`` label, else the name."""
    by_cluster: dict[str, ClusterModuleState] = {}
    for item in found:
        meta = dig(item, "metadata")
        name = text(meta.get("name"))
        cluster = text(dig(meta, "labels").get(CLUSTER_LABEL)) or name
        status = dig(item, "status")
        base = dig(status, "base")
        upgradable = status.get("upgradable")
        by_cluster.setdefault(
            cluster,
            ClusterModuleState(
                name=name,
                deploy_status=text(base.get("deployStatus")),
                running_status=text(base.get("runningStatus")),
                upgradable=upgradable if isinstance(upgradable, bool) else None,
                unable_reason=text(
                    status.get("unableUpgradeReason") or base.get("unableUpgradeReason")
                ),
                phase=text(status.get("phase")),
                conditions=conditions_of(status.get("conditions")),
                version=text(dig(item, "spec").get("version")),
            ),
        )
    return by_cluster
