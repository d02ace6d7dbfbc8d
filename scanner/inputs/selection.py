"""Which clusters a command looks at: the kubeconfig files and inventory read, the global
context chosen (or ``--in-cluster``), the workload contexts matched by ``--context`` and
``--exclude``, and the kubeconfig's other contexts (to tell a cluster left out on purpose
from one the kubeconfig lacks)."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import UsageError
from scanner.inputs.incluster import CONTEXT_NAME, in_cluster_target
from scanner.inputs.inventory import Inventory, load_inventory
from scanner.inputs.kubeconfig import Kubeconfig, default_kubeconfig_paths, load_kubeconfigs
from scanner.inputs.targets import Target, select_candidates, select_targets
from scanner.model import Role


@dataclass(frozen=True)
class Selection:
    """Where contexts come from and which ones to scan."""

    kubeconfigs: tuple[str, ...] = ()  # empty: KUBECONFIG, else ~/.kube/config
    global_context: str | None = None
    contexts: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    inventory: str | None = None
    in_cluster: bool = False  # the global cluster is this pod's cluster (service account)
    platform_proxy: bool = False  # recorded clusters without a context are reached through it
    platform_url: str | None = None  # --platform-url: the platform address to reach them at


@dataclass(frozen=True)
class Selected:
    """The targets to scan (global first), the kubeconfig's other contexts (to tell a
    cluster left out on purpose from one the kubeconfig lacks) and the inventory."""

    targets: tuple[Target, ...]
    unselected: tuple[Target, ...] = ()
    inventory: Inventory | None = None

    @property
    def global_target(self) -> Target | None:
        return next((t for t in self.targets if t.role is Role.GLOBAL), None)


def load_selection(selection: Selection) -> tuple[Kubeconfig, Inventory | None]:
    paths = selection.kubeconfigs or default_kubeconfig_paths()
    config = load_kubeconfigs(paths, explicit=bool(selection.kubeconfigs))
    inventory = load_inventory(selection.inventory) if selection.inventory else None
    return config, inventory


def select(selection: Selection) -> list[Target]:
    return list(select_all(selection).targets)


def select_all(selection: Selection) -> Selected:
    config, inventory = load_selection(selection)
    if selection.in_cluster:
        if selection.global_context:
            raise UsageError("--in-cluster and --global-context cannot be used together")
        entry = inventory.lookup(CONTEXT_NAME) if inventory else None
        global_target = in_cluster_target(
            kind=entry.kind if entry else "unknown", name=entry.display_name if entry else ""
        )
        workloads = select_candidates(
            config, include=selection.contexts, exclude=selection.excludes, inventory=inventory
        )
        targets = [global_target, *workloads]
    else:
        targets = select_targets(
            config,
            global_context=selection.global_context,
            include=selection.contexts,
            exclude=selection.excludes,
            inventory=inventory,
            platform_proxy=selection.platform_proxy,
            platform_url=selection.platform_url,
        )
    chosen = {target.context for target in targets}
    every = select_candidates(config, include=(), exclude=(), inventory=inventory)
    others = tuple(target for target in every if target.context not in chosen)
    return Selected(tuple(targets), others, inventory)
