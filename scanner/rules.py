"""The evaluation rules, one function each: plain data in, findings out, no I/O.

Finding ids are ``<rule>/<context>`` or ``<rule>/<context>/<detail>`` and depend only on what
was found, never on order or time, so reports can be diffed and findings waived.
:mod:`scanner.evaluate` decides which rules apply to which cluster.
"""

from __future__ import annotations

from collections.abc import Mapping

from scanner.errors import VersionError
from scanner.model import Finding, ScanError, Severity, Target
from scanner.policy import (
    Minor,
    OnboardingRange,
    Policy,
    Release,
    SkewLimits,
    format_minor,
    format_patch,
    latest_minor,
    notes_for,
)
from scanner.versions import KubeVersion, parse_git_version

BEFORE_GLOBAL = "before upgrading the global cluster"


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


def _finding(rule: str, context: str, severity: Severity, message: str, fix: str = "") -> Finding:
    return Finding(f"{rule}/{context}", rule, severity, message, fix)


def _nodes(count: int) -> str:
    return "1 node runs" if count == 1 else f"{count} nodes run"


def _minor_gate(
    rule: str,
    context: str,
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
    if goal is None:
        newest = format_minor(max(allowed))
        fix = (
            f"Kubernetes cannot be downgraded: replace the cluster with one on {newest} "
            f"or remove it from the platform {BEFORE_GLOBAL}"
        )
        return _finding(rule, context, Severity.BLOCKER, message, fix), ()
    if goal == current:
        fix = f"move to a released {cur} build (no -alpha, -beta or -rc suffix) {BEFORE_GLOBAL}"
        return _finding(rule, context, Severity.BLOCKER, message, fix), (cur,)
    path = upgrade_path(current, goal)
    fix = f"upgrade {' -> '.join((cur, *path))} {BEFORE_GLOBAL}"
    if len(path) > 1:
        fix += " (Kubernetes upgrades one minor at a time)"
    return _finding(rule, context, Severity.BLOCKER, message, fix), path


def window_rule(
    context: str, version: KubeVersion, target: Release
) -> tuple[Finding | None, tuple[str, ...]]:
    """4.3 and later: a workload cluster runs a minor inside the target's compatible list."""
    label = f"the {target.version} window {target.window_text()}"
    return _minor_gate("window", context, version, target.compatible_minors, label, "outside")


def latest_rule(
    context: str, version: KubeVersion, target: Release, current: Release
) -> tuple[Finding | None, tuple[str, ...]]:
    """4.2 and earlier: a workload cluster is on the newest minor of the CURRENT release."""
    goal = latest_minor(current)
    if goal is None:
        message = (
            f"cannot check the {target.version} rule 'latest': the policy lists no compatible "
            f"minors for the current release {current.version}"
        )
        return _finding("latest", context, Severity.WARNING, message), ()
    label = (
        f"{format_minor(goal)}, the latest minor of {current.version} "
        f"(the {target.version} upgrade rule 'latest')"
    )
    return _minor_gate("latest", context, version, (goal,), label, "not on")


def upgrade_path_rule(
    context: str, policy: Policy, target: Release, current: Release | None
) -> Finding:
    """The global cluster: the current release must be a supported source of the target."""
    sources = ", ".join(target.upgrade_from) or "none"
    if current is None:
        message = (
            f"upgrade path not verified; pass --from "
            f"(supported sources of {target.version}: {sources})"
        )
        fix = "pass --from with the global cluster's current platform version"
        return _finding("upgrade-path", context, Severity.WARNING, message, fix)
    if current.version in target.upgrade_from:
        # Evidence for the change ticket: the path was checked, not skipped.
        message = f"{current.version} -> {target.version} is a supported upgrade path"
        return _finding("upgrade-path", context, Severity.INFO, message)
    message = f"{current.version} -> {target.version} is not supported; supported sources {sources}"
    route = policy.upgrade_route(current.version, target.version)
    if route is None:
        fix = f"this policy has no supported route from {current.version} to {target.version}"
    else:
        fix = (
            f"upgrade the global cluster {' -> '.join(route)}, one supported hop at a time; "
            f"scan the first hop with --from {route[0]} --target {route[1]}"
        )
    return _finding("upgrade-path", context, Severity.BLOCKER, message, fix)


def onboarding_rule(
    context: str, version: KubeVersion, onboarding: OnboardingRange, release: str
) -> Finding | None:
    """Third-party clusters are onboarded only inside ``[min, max)`` (major.minor.patch)."""
    if onboarding.contains(version):
        return None
    label = f"the {release} onboarding range {onboarding}"
    if version.pre_release:
        message = f"Kubernetes {version} is a pre-release, which is never inside {label}"
        fix = "move the cluster to a released build inside the range"
    elif version.release < onboarding.min:
        message = f"Kubernetes {format_patch(version.release)} is below {label}"
        fix = f"upgrade the cluster to {format_patch(onboarding.min)} or later"
    else:
        message = f"Kubernetes {format_patch(version.release)} is above {label}"
        fix = (
            f"the platform {release} does not accept third-party clusters on "
            f"{format_patch(onboarding.max)} or later; keep the cluster below it or detach it"
        )
    return _finding("onboarding", context, Severity.BLOCKER, message, fix)


def skew_rule(
    context: str, api: KubeVersion, kubelets: Mapping[str, int], limits: SkewLimits
) -> list[Finding]:
    """Kubelets never newer than the API server, and at most N minors older."""
    by_minor: dict[Minor, dict[str, int]] = {}
    unparsed: dict[str, int] = {}
    for raw, count in kubelets.items():
        try:
            by_minor.setdefault(parse_git_version(raw).minor_key, {})[raw] = count
        except VersionError:
            unparsed[raw] = count
    findings = [
        finding
        for minor, versions in sorted(by_minor.items())
        if (finding := _skew_of(context, api, minor, versions, limits)) is not None
    ]
    if unparsed:
        listing = ", ".join(repr(raw) for raw in sorted(unparsed))
        message = (
            f"{_nodes(sum(unparsed.values()))} a kubelet version that cannot be parsed "
            f"({listing}); version skew not checked for them"
        )
        findings.append(Finding(f"skew/{context}/unparsed", "skew", Severity.WARNING, message))
    return findings


def _skew_of(
    context: str, api: KubeVersion, minor: Minor, versions: Mapping[str, int], limits: SkewLimits
) -> Finding | None:
    nodes = f"{_nodes(sum(versions.values()))} kubelet {', '.join(sorted(versions))}"
    server = f"the API server {api.minor_text}"
    ident = f"skew/{context}/{format_minor(minor)}"
    if minor > api.minor_key:
        message = f"{nodes}, newer than {server}; a kubelet must never be newer than its API server"
        fix = f"upgrade the control plane to {format_minor(minor)} or replace those nodes"
        return Finding(ident, "skew", Severity.BLOCKER, message, fix)
    behind = api.minor - minor[1] if minor[0] == api.major else None
    allowed = limits.allowed_behind(minor)
    if behind is None or behind > allowed:
        distance = f"{behind} minors older than" if behind is not None else "a different major than"
        message = f"{nodes}, {distance} {server}; the skew policy allows at most {allowed}"
        if minor < limits.old_kubelet_before:
            message += f" for kubelets older than {format_minor(limits.old_kubelet_before)}"
        oldest = format_minor((api.major, api.minor - allowed))
        fix = f"upgrade those nodes to kubelet {oldest} or newer"
        return Finding(ident, "skew", Severity.BLOCKER, message, fix)
    if behind == 0:
        return None
    # Within the skew policy: worth knowing, not a problem. At the limit, the next
    # control-plane upgrade would break it.
    message = (
        f"{nodes}, {behind} minor{'s' if behind > 1 else ''} behind {server} (allowed: {allowed})"
    )
    fix = "upgrade those nodes before the next control-plane upgrade" if behind == allowed else ""
    return Finding(ident, "skew", Severity.INFO, message, fix)


def runtime_rule(
    context: str, runtimes: Mapping[str, int], blocked: tuple[str, ...]
) -> list[Finding]:
    """Nodes on a runtime the platform's upgrade preflight rejects (Docker)."""
    by_scheme: dict[str, dict[str, int]] = {}
    for raw, count in runtimes.items():
        scheme = raw.split("://", 1)[0].strip().lower()
        if scheme in blocked:
            by_scheme.setdefault(scheme, {})[raw] = count
    return [
        Finding(
            f"runtime/{context}/{scheme}",
            "runtime",
            Severity.BLOCKER,
            f"{_nodes(sum(found.values()))} {', '.join(sorted(found))}; "
            f"the platform's upgrade preflight rejects the {scheme.capitalize()} runtime",
            "migrate those nodes to containerd",
        )
        for scheme, found in sorted(by_scheme.items())
    ]


def insecure_tls_rule(target: Target) -> Finding | None:
    if not target.insecure_skip_tls_verify:
        return None
    message = (
        "the kubeconfig turns TLS verification off for this context "
        "(insecure-skip-tls-verify), so the server's identity was not verified"
    )
    fix = "set certificate-authority(-data) for the cluster and remove insecure-skip-tls-verify"
    return _finding("insecure-tls", target.context, Severity.WARNING, message, fix)


def kind_unknown_rule(target: Target, rule: str | None) -> Finding | None:
    if target.kind != "unknown":
        return None
    applies = "the window applies" if rule == "window" else f"the {rule or 'upgrade'} rule applies"
    message = (
        f"kind not known (pass --inventory); {applies} to every workload cluster whatever its kind"
    )
    return _finding("kind-unknown", target.context, Severity.INFO, message)


def nodes_unavailable_rule(context: str, nodes_error: ScanError) -> Finding:
    # Error messages may span lines (client tracebacks); a finding message is one line.
    detail = " ".join(nodes_error.message.split())
    message = (
        f"node list unavailable ({nodes_error.category.value}: {detail}); "
        "kubelet skew and container runtimes not checked"
    )
    fix = "grant list on nodes to the scanning user, or pass --no-nodes to skip the check"
    return _finding("nodes-unavailable", context, Severity.WARNING, message, fix)


def release_note_rules(target: Target, release: Release) -> list[Finding]:
    """Notes the target release carries for this kind (HCP Technology Preview in 4.3)."""
    return [
        _finding(note.rule, target.context, note.severity, note.message)
        for note in notes_for(release, target.kind)
    ]
