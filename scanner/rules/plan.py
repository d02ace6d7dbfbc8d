"""Upgrade plans (SPEC 9): for a cluster that must move, its path one minor at a time and, at
each step, what breaks there. Plain data in (the observation, the removals data, the
policy), a :class:`~scanner.model.Plan` out; no I/O.

At the step where the control plane reaches minor S:
- ``removed-api`` (blocker): an API that S stops serving and that clients still requested
  (the API server's ``apiserver_requested_deprecated_apis``), with its replacement;
- ``path-skew`` (blocker): kubelets that fall outside the skew policy at S (more than 3
  minors behind; 2 for kubelets older than 1.25), naming the minor they must reach first;
- ``path-runtime`` (blocker): nodes on ``docker://`` of a cluster below 1.24 (dockershim,
  which 1.24 removed), at the first step from 1.24 on; a cluster already past 1.24 runs
  Docker nodes through cri-dockerd, and whether the platform accepts them is the ``runtime``
  rule's;
- ``drain-blocker`` (warning, at the first step): PodDisruptionBudgets that allow no
  disruption while pods are expected, so node drains during the upgrade will hang.
What could not be read is a note ("usage unknown"), never "none in use".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence

from scanner.inputs.policy import Minor, Policy, Release, format_minor
from scanner.inputs.removals import Removal, Removals
from scanner.model import (
    DeprecatedRequest,
    Finding,
    NodeSummary,
    Observation,
    PlanInputs,
    PlanStep,
    Severity,
    UpgradePlan,
    finding,
)
from scanner.rules.path import latest_rule, upgrade_path, window_rule
from scanner.versions import KubeVersion, VersionError, parse_git_version, parse_minor

DOCKERSHIM_REMOVED: Minor = (1, 24)
RBAC = "deploy/rbac.yaml"


def scan_path(target: Release, current: Release | None, version: KubeVersion) -> tuple[str, ...]:
    """The path a workload cluster on ``version`` must take for the scan's target (the same
    as its window or latest gate gives); empty when it need not move."""
    obs = Observation("", version)
    if target.rule == "window":
        return window_rule(obs, version, target)[1]
    if target.rule == "latest" and current is not None:
        return latest_rule(obs, version, target, current)[1]
    return ()


def needs_plan_for(target: Release, current: Release | None) -> Callable[[KubeVersion], bool]:
    """Collection asks a cluster the plan's reads only when it must move."""
    return lambda version: bool(scan_path(target, current, version))


def needs_plan_to(goal: Minor) -> Callable[[KubeVersion], bool]:
    return lambda version: version.minor_key < goal


def plan_to(goal: Minor, version: KubeVersion) -> tuple[str, ...]:
    return upgrade_path(version.minor_key, goal)


def build_plan(
    context: str,
    obs: Observation,
    path: Sequence[str],
    removals: Removals,
    policy: Policy,
    now: dt.datetime | None = None,
) -> UpgradePlan:
    """The plan of one cluster along ``path`` (minors as ``"1.30"``, in order). ``now`` is
    when the run judges: how long the API server has counted removed-API usage."""
    steps = [parse_minor(step) for step in path]
    found: dict[Minor, list[Finding]] = defaultdict(list)
    notes: list[str] = []
    inputs = obs.plan_inputs
    if inputs is None:
        notes.append(
            "removed-API usage and disruption budgets unknown: the cluster was not read live "
            "(its plan reads are made only through a scan of the cluster itself)"
        )
        inputs = PlanInputs()
    else:
        _removed_apis(context, inputs, steps, removals, found, notes)
        notes.extend(_usage_window(inputs, now))
        _drain_blockers(context, inputs, steps, found, notes)
    newest = max((r.removed_in for r in removals.removals), default=None)
    beyond = [format_minor(s) for s in steps if newest is not None and s > newest]
    if beyond and newest is not None:
        notes.append(
            f"the removals data ends at Kubernetes {format_minor(newest)} (the deprecation "
            f"guide's newest section): {', '.join(beyond)} not checked for removed APIs beyond "
            "what the API server's own metric names"
        )
    if obs.nodes is None:
        notes.append("kubelet skew and container runtimes on the way not checked: no node list")
    else:
        current = obs.version.minor_key if obs.version else None
        _path_skew(context, obs.nodes, steps, current, policy, found)
        _path_runtime(context, obs.nodes, steps, current, found)
    return UpgradePlan(
        to=path[-1] if path else "",
        steps=tuple(PlanStep(format_minor(s), tuple(found.get(s, ()))) for s in steps),
        notes=tuple(notes),
    )


SHORT_WINDOW = dt.timedelta(hours=24)


def _usage_window(inputs: PlanInputs, now: dt.datetime | None) -> list[str]:
    """Removed-API usage is what the API server counted since it started: say since when,
    and that a short window may miss a client that runs less often."""
    if inputs.requested is None or inputs.counted_since is None:
        return []
    started = dt.datetime.fromtimestamp(inputs.counted_since, dt.UTC)
    since = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    note = f"removed-API usage counted since {since} (the API server's start)"
    if now is not None and now - started < SHORT_WINDOW:
        hours = max(0, int((now - started).total_seconds() // 3600))
        note += (
            f": a short evidence window ({hours} hours); a client that runs less often (a "
            "weekly job, a backup) may not have been counted yet"
        )
    return [note]


def _removed_apis(
    context: str,
    inputs: PlanInputs,
    steps: Sequence[Minor],
    removals: Removals,
    found: dict[Minor, list[Finding]],
    notes: list[str],
) -> None:
    on_path = [r for r in removals.removals if r.removed_in in steps]
    if inputs.requested is None:
        notes.append(
            f"removed-API usage unknown: /metrics not read ({inputs.requested_error}); grant "
            f"get on the non-resource URL /metrics ({RBAC}) to know, never read as none in use"
        )
        if inputs.served is not None:
            served = sorted({f"{r.group_version} ({r.removed_in_text})" for r in on_path
                             if r.group_version in inputs.served})  # fmt: skip
            if served:
                notes.append(
                    "served by the cluster and removed on the way (usage unknown): "
                    + ", ".join(served)
                )
        return
    if inputs.served is None:
        notes.append(f"served API versions not read (/apis: {inputs.served_error})")
    for request in inputs.requested:
        removal = removals.find(request.group, request.version, request.resource)
        removed_in = removal.removed_in if removal else _minor(request.removed_release)
        if removed_in is None or removed_in not in steps:
            continue
        found[removed_in].append(_removed_api(context, request, removed_in, removal))
    if inputs.requested_dropped:
        notes.append(
            f"{inputs.requested_dropped} more deprecated-API series name resources beyond the "
            f"{len(inputs.requested)} kept: those were not checked"
        )


def _removed_api(
    context: str, request: DeprecatedRequest, removed_in: Minor, removal: Removal | None
) -> Finding:
    """One finding per group/version/resource, naming what was requested (the resource, its
    subresources)."""
    group, version, resource = request.group, request.version, request.resource
    group_version = f"{group}/{version}" if group else version
    what = " and ".join(request.paths) if request.paths else resource
    message = (
        f"clients still request {what} in {group_version}, which Kubernetes "
        f"{format_minor(removed_in)} no longer serves"
    )
    if removal is not None and removal.replacement.startswith("none"):
        instead = removal.replacement.partition(":")[2].strip() or "its successor"
        fix = (
            f"stop relying on {group_version} {resource} (no replacement API; use {instead}) "
            f"before the control plane reaches {format_minor(removed_in)} (see {removal.source})"
        )
    elif removal is not None:
        fix = (
            f"move manifests and API clients to {removal.replacement} before the control plane "
            f"reaches {format_minor(removed_in)} (see {removal.source})"
        )
    else:
        fix = (
            f"move manifests and API clients off {group_version} before the control plane "
            f"reaches {format_minor(removed_in)}"
        )
    where = f"{context}/{group or 'core'}/{version}/{resource}"
    return finding("removed-api", where, Severity.BLOCKER, message, fix)


def _minor(text: str) -> Minor | None:
    try:
        return parse_minor(text) if text else None
    except VersionError:
        return None


def _path_skew(
    context: str,
    nodes: NodeSummary,
    steps: Sequence[Minor],
    current: Minor | None,
    policy: Policy,
    found: dict[Minor, list[Finding]],
) -> None:
    by_minor: dict[Minor, dict[str, int]] = defaultdict(dict)
    for raw, count in nodes.kubelet_versions.items():
        try:
            minor = parse_git_version(raw).minor_key
        except VersionError:
            continue
        by_minor[minor][raw] = count
    # Kubelets on the control plane's minor move with it, step by step (control plane, then
    # nodes, at each minor); the ones already behind are the laggards this rule is about.
    for kubelet, versions in sorted(by_minor.items()):
        if current is None or kubelet >= current:
            continue
        allowed = policy.skew.allowed_behind(kubelet)
        step = next((s for s in steps if s[0] == kubelet[0] and s[1] - kubelet[1] > allowed), None)
        if step is None:
            continue
        count = sum(versions.values())
        names = ", ".join(sorted(versions))
        must = format_minor((step[0], step[1] - allowed))
        message = (
            f"{count} node{' falls' if count == 1 else 's fall'} outside the skew policy on "
            f"kubelet {names} ({allowed} minors behind at most) when the control plane reaches "
            f"{format_minor(step)}"
        )
        fix = (
            f"upgrade those kubelets to at least {must} before the control plane reaches "
            f"{format_minor(step)}"
        )
        where = f"{context}/{format_minor(kubelet)}"
        found[step].append(finding("path-skew", where, Severity.BLOCKER, message, fix))


def _path_runtime(
    context: str,
    nodes: NodeSummary,
    steps: Sequence[Minor],
    current: Minor | None,
    found: dict[Minor, list[Finding]],
) -> None:
    """Nodes on ``docker://`` below 1.24 run dockershim, which 1.24 removed: the path cannot
    cross 1.24 with them. From 1.24 on a Docker node runs cri-dockerd, which no Kubernetes
    step removes (whether the platform accepts Docker is the ``runtime`` rule's)."""
    docker = {runtime: count for runtime, count in nodes.container_runtimes.items()
              if runtime.split("://", 1)[0].strip().lower() == "docker"}  # fmt: skip
    if not docker or current is None or current >= DOCKERSHIM_REMOVED:
        return
    step = next((s for s in steps if s >= DOCKERSHIM_REMOVED), None)
    if step is None:
        return
    count = sum(docker.values())
    runtimes = ", ".join(sorted(docker))
    who = f"1 node on {runtimes} runs" if count == 1 else f"{count} nodes on {runtimes} run"
    message = (
        f"{who} dockershim, which Kubernetes 1.24 removed: the cluster cannot cross 1.24 "
        f"with {'it' if count == 1 else 'them'} (reached at {format_minor(step)})"
    )
    fix = "move those nodes to containerd (or to cri-dockerd) before this step"
    found[step].append(finding("path-runtime", context, Severity.BLOCKER, message, fix))


def _drain_blockers(
    context: str,
    inputs: PlanInputs,
    steps: Sequence[Minor],
    found: dict[Minor, list[Finding]],
    notes: list[str],
) -> None:
    if inputs.budgets is None:
        notes.append(
            f"disruption budgets not read ({inputs.budgets_error}); grant list on "
            f"poddisruptionbudgets ({RBAC}) to know which drains would hang"
        )
        return
    if not steps:
        return
    for budget in inputs.budgets:
        if budget.disruptions_allowed > 0 or budget.expected_pods <= 0:
            continue
        ref = f"{budget.namespace}/{budget.name}"
        message = (
            f"PodDisruptionBudget {ref} allows no disruption ({budget.expected_pods} pods "
            "expected): node drains during each upgrade step will hang"
        )
        fix = "scale the workload up or relax the budget for the maintenance window"
        where = f"{context}/{ref}"
        found[steps[0]].append(finding("drain-blocker", where, Severity.WARNING, message, fix))
