"""The upgrade-path rules: where a cluster must go, one minor at a time, and whether the
global cluster's own platform upgrade is a supported hop. Plain data in, findings out."""

from __future__ import annotations

from scanner.inputs.policy import Minor, Release, format_minor, latest_minor
from scanner.model import CurrentSource, Evidence, Finding, Observation, Severity, finding
from scanner.rules.context import EvaluationContext
from scanner.rules.findings import BEFORE_GLOBAL, said
from scanner.versions import KubeVersion


def upgrade_path(current: Minor, goal: Minor) -> tuple[str, ...]:
    """The minors to pass through, in order, from ``current`` to ``goal``, one at a time
    because Kubernetes upgrades cannot skip minors: (1, 29) to (1, 31) is ``("1.30", "1.31")``.

    Nothing when ``goal`` is not newer. Across a major version (never seen yet) the path is
    the goal alone: there is no rule for how minors continue there.
    """
    if goal <= current:
        return ()
    if goal[0] != current[0]:
        return (format_minor(goal),)
    return tuple(format_minor((goal[0], minor)) for minor in range(current[1] + 1, goal[1] + 1))


def _minor_gate(
    rule: str,
    obs: Observation,
    version: KubeVersion,
    allowed: tuple[Minor, ...],
    label: str,
    miss: str,
) -> tuple[Finding | None, tuple[str, ...]]:
    """The check shared by ``window`` and ``latest``: the cluster's minor must be one of
    ``allowed``, and a pre-release never counts. Returns the blocker and the upgrade path."""
    current = version.minor_key
    if current in allowed and not version.pre_release:
        return None, ()
    later = [m for m in allowed if m > current or (m == current and version.pre_release)]
    goal = min(later, default=None)
    cur = format_minor(current)
    if version.pre_release:
        message = f"Kubernetes {version} is a pre-release, which never satisfies {label}"
    elif goal is None:
        message = f"Kubernetes {cur} is newer than {label}"
    else:
        message = f"Kubernetes {cur} is {miss} {label}"
    message += said(obs)
    path: tuple[str, ...] = ()
    if goal is None:
        newest = format_minor(max(allowed))
        fix = (
            f"Kubernetes cannot be downgraded: replace the cluster with one on {newest} "
            f"or remove it from the platform {BEFORE_GLOBAL}"
        )
    elif goal == current:
        fix = f"move to a released {cur} build (no -alpha, -beta or -rc suffix) {BEFORE_GLOBAL}"
        path = (cur,)
    else:
        path = upgrade_path(current, goal)
        fix = f"upgrade {' -> '.join((cur, *path))} {BEFORE_GLOBAL}"
        if len(path) > 1:
            fix += " (Kubernetes upgrades one minor at a time)"
    gate = finding(rule, obs.context, Severity.BLOCKER, message, fix, evidence=obs.evidence)
    return gate, path


def window_rule(
    obs: Observation, version: KubeVersion, target: Release
) -> tuple[Finding | None, tuple[str, ...]]:
    """4.3 and later: a workload cluster runs a minor inside the target's compatible list."""
    label = f"the {target.version} window {target.window_text()}"
    return _minor_gate("window", obs, version, target.compatible_minors, label, "outside")


def latest_rule(
    obs: Observation, version: KubeVersion, target: Release, current: Release
) -> tuple[Finding | None, tuple[str, ...]]:
    """4.2 and earlier: a workload cluster is on the newest minor of the CURRENT release."""
    goal = latest_minor(current)
    if goal is None:
        message = (
            f"cannot check the {target.version} rule 'latest': the policy lists no compatible "
            f"minors for the current release {current.version}"
        )
        return finding(
            "latest", obs.context, Severity.WARNING, message, evidence=Evidence.CONFIG
        ), ()
    label = (
        f"{format_minor(goal)}, the latest minor of {current.version} "
        f"(the {target.version} upgrade rule 'latest')"
    )
    return _minor_gate("latest", obs, version, (goal,), label, "not on")


_CURRENT_SAID = {
    CurrentSource.FLAG: (Evidence.FLAG, "the current version given with --from"),
    CurrentSource.GLOBAL_CLUSTER: (
        Evidence.PLATFORM,
        "the current version the global cluster reports",
    ),
    CurrentSource.PRODUCTBASE: (
        Evidence.PLATFORM,
        "the current version of the global cluster's ProductBase",
    ),
}


def upgrade_path_rule(context: str, ctx: EvaluationContext) -> Finding:
    """The global cluster: the current release must be a supported source of the target (a
    release is a source of itself: a patch upgrade). The finding says where the current
    version came from (``--from``, or the platform)."""
    policy, target, current, source = ctx.policy, ctx.target, ctx.from_release, ctx.current_source
    sources = ", ".join(target.upgrade_from) or "none"
    evidence, where = _CURRENT_SAID.get(
        source or CurrentSource.FLAG, _CURRENT_SAID[CurrentSource.FLAG]
    )
    suffix = f" ({where})" if source is not None else ""
    hop = f"{ctx.from_text} -> {ctx.target_text}"
    if current is None:
        message = (
            f"upgrade path not verified; pass --from "
            f"(supported sources of {target.version}: {sources})"
        )
        fix = "pass --from with the global cluster's current platform version"
        return finding("upgrade-path", context, Severity.WARNING, message, fix, evidence=evidence)
    if ctx.patch_upgrade:
        message = f"{hop} is a patch upgrade within {target.version}{suffix}"
        return finding("upgrade-path", context, Severity.INFO, message, evidence=evidence)
    if current.version in target.upgrade_from:
        # Evidence for the change ticket: the path was checked, not skipped.
        message = f"{hop} is a supported upgrade path{suffix}"
        return finding("upgrade-path", context, Severity.INFO, message, evidence=evidence)
    message = f"{hop} is not supported; supported sources {sources}{suffix}"
    route = policy.upgrade_route(current.version, target.version)
    if route is None:
        fix = f"this policy has no supported route from {current.version} to {target.version}"
    else:
        fix = (
            f"upgrade the global cluster {' -> '.join(route)}, one supported hop at a time; "
            f"scan the first hop with --from {route[0]} --target {route[1]}"
        )
    return finding("upgrade-path", context, Severity.BLOCKER, message, fix, evidence=evidence)
