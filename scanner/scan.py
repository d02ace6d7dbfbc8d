"""The scan pipeline without click: kubeconfig + inventory -> targets -> collect -> evaluate.

:func:`plan_scan` does everything that needs no network (and is what ``contexts`` shows);
:func:`run_scan` adds collection and evaluation and returns the report model.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from scanner import __version__
from scanner.collect import CollectOptions, Collector, KubeCollector, Progress, collect_all
from scanner.errors import UsageError
from scanner.evaluate import EvaluationContext, build_report, onboarding_context, scan_context
from scanner.exitcodes import ExitCode
from scanner.incluster import CONTEXT_NAME, in_cluster_target
from scanner.inventory import Inventory, load_inventory
from scanner.kubeconfig import Kubeconfig, default_kubeconfig_paths, load_kubeconfigs
from scanner.model import Observation, Target, Verdict
from scanner.policy import format_minor, load_policy
from scanner.report import Report
from scanner.targets import select_candidates, select_targets


@dataclass(frozen=True)
class Selection:
    """Where contexts come from and which ones to scan."""

    kubeconfigs: tuple[str, ...] = ()  # empty: KUBECONFIG, else ~/.kube/config
    global_context: str | None = None
    contexts: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    inventory: str | None = None
    in_cluster: bool = False  # the global cluster is this pod's cluster (service account)


@dataclass(frozen=True)
class ScanRequest:
    target: str
    from_version: str | None = None
    selection: Selection = field(default_factory=Selection)
    policy: str | None = None
    collect: CollectOptions = field(default_factory=CollectOptions)
    command_line: str = ""


@dataclass(frozen=True)
class Plan:
    context: EvaluationContext
    targets: tuple[Target, ...]


def load_selection(selection: Selection) -> tuple[Kubeconfig, Inventory | None]:
    paths = selection.kubeconfigs or default_kubeconfig_paths()
    config = load_kubeconfigs(paths, explicit=bool(selection.kubeconfigs))
    inventory = load_inventory(selection.inventory) if selection.inventory else None
    return config, inventory


def select(selection: Selection) -> list[Target]:
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
        return [global_target, *workloads]
    return select_targets(
        config,
        global_context=selection.global_context,
        include=selection.contexts,
        exclude=selection.excludes,
        inventory=inventory,
    )


def plan_scan(request: ScanRequest) -> Plan:
    # Policy first: a bad target or policy is reported before any file is parsed.
    context = scan_context(load_policy(request.policy), request.target, request.from_version)
    return Plan(context, tuple(select(request.selection)))


def run_scan(
    request: ScanRequest,
    *,
    collector_factory: Callable[[CollectOptions], Collector] | None = None,
    progress: Progress | None = None,
) -> Report:
    started = time.monotonic()
    generated_at = _now()
    plan = plan_scan(request)
    loaded = time.monotonic()
    observations = collect_targets(plan.targets, request.collect, collector_factory, progress)
    collected = time.monotonic()
    metadata = run_metadata(request.command_line, request.collect, plan.context)
    report = build_report(
        plan.targets,
        observations,
        plan.context,
        tool_version=__version__,
        generated_at=generated_at,
        duration_seconds=collected - started,
        metadata=metadata,
    )
    # Stage timings (seconds) make a slow scan explainable from its own report.
    finished = time.monotonic()
    stages = {
        "load": round(loaded - started, 4),
        "collect": round(collected - loaded, 4),
        "evaluate": round(finished - collected, 4),
    }
    return replace(
        report,
        duration_seconds=finished - started,
        metadata={**report.metadata, "stages_seconds": stages},
    )


def run_onboarding(
    *,
    target: str,
    selection: Selection,
    policy_path: str | None,
    options: CollectOptions,
    command_line: str,
    progress: Progress | None = None,
) -> Report:
    """Check every selected context against the target's onboarding range."""
    started = time.monotonic()
    generated_at = _now()
    context = onboarding_context(load_policy(policy_path), target)
    config, inventory = load_selection(selection)
    targets = select_candidates(
        config, include=selection.contexts, exclude=selection.excludes, inventory=inventory
    )
    observations = collect_targets(targets, options, progress=progress)
    report = build_report(
        targets,
        observations,
        context,
        tool_version=__version__,
        generated_at=generated_at,
        duration_seconds=time.monotonic() - started,
        metadata=run_metadata(command_line, options, context),
        onboarding=True,
    )
    # The onboarding contract: 0 when every cluster is accepted, 1 otherwise.
    accepted = report.verdict is Verdict.READY
    return replace(report, exit_code=int(ExitCode.READY if accepted else ExitCode.NOT_READY))


def collect_targets(
    targets: Sequence[Target],
    options: CollectOptions,
    collector_factory: Callable[[CollectOptions], Collector] | None = None,
    progress: Progress | None = None,
) -> list[Observation]:
    if collector_factory is not None:
        collector = collector_factory(options)
        return collect_all(
            targets,
            collector,
            concurrency=options.concurrency,
            budget=options.budget,
            progress=progress,
        )
    kube = KubeCollector(options)
    try:
        return collect_all(
            targets,
            kube,
            concurrency=options.concurrency,
            budget=options.budget,
            progress=progress,
        )
    finally:
        kube.close()


def run_metadata(
    command_line: str, options: CollectOptions, context: EvaluationContext
) -> dict[str, object]:
    """Run facts an auditor needs; the window feeds the HTML chart."""
    return {
        "host": _safe(socket.gethostname),
        "user": _safe(getpass.getuser),
        "command_line": command_line,
        "window": [format_minor(m) for m in sorted(context.target.compatible_minors)],
        "rule": context.target.rule,
        "timeout_seconds": options.timeout,
        "retries": options.retries,
        "nodes_collected": options.nodes,
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _safe(getter: Callable[[], str]) -> str:
    try:
        return getter()
    except Exception:  # no user name in a container without passwd entry, for instance
        return "unknown"
