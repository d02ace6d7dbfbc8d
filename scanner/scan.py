"""The scan pipeline without click: inputs -> targets -> collect (+ platform discovery beside
it) -> the one evaluation pass -> the finished report.

:func:`run_scan` and :func:`run_onboarding` return a finished :class:`~scanner.report.Report`
(nothing patches it afterwards); :func:`survey` is what ``contexts`` shows.

The current platform version is ``--from``, else what the global cluster reports. A
``latest`` target needs it before anything is judged, so without ``--from`` the scan waits
for discovery before collecting (and stops with a usage error if discovery cannot say).
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scanner import __version__
from scanner.collect import CollectOptions, KubeCollector, PlanGoal, Progress, collect_all
from scanner.errors import PolicyError, UsageError
from scanner.evaluate import Platform, Run, evaluate
from scanner.inputs.policy import Minor, Policy, format_minor, load_policy
from scanner.inputs.removals import load_removals
from scanner.inputs.selection import Selected, Selection, load_selection, select_all
from scanner.inputs.targets import Target, platform_base, select_candidates
from scanner.kube.reader import ReadOptions
from scanner.model import Observation, Waiver
from scanner.platform.match import Coverage, Proxy, plan_coverage, platform_notes
from scanner.platform.read import DiscoveryJob
from scanner.platform.records import SHADOWS, Discovery
from scanner.report import CURRENT_FROM_FLAG, CURRENT_FROM_GLOBAL, PlatformInfo, Report
from scanner.rules.context import (
    EvaluationContext,
    onboarding_context,
    scan_context,
    target_release,
)
from scanner.rules.plan import needs_plan_for, needs_plan_to
from scanner.rules.platform import gates_for
from scanner.versions import VersionError, normalize_platform_version

DISCOVERY_OFF = "platform discovery turned off (--no-discovery)"


@dataclass(frozen=True)
class ScanRequest:
    """Everything a scan needs, parsed once at the command line."""

    target: str
    from_version: str | None = None
    selection: Selection = field(default_factory=Selection)
    policy: str | None = None
    collect: CollectOptions = field(default_factory=CollectOptions)
    command_line: str = ""
    discovery: bool = True  # read the global cluster's records of the clusters it manages
    waivers: tuple[Waiver, ...] = ()
    # The previous run, to record what changed since; read once the scan has collected, so
    # an interrupted scan leaves no trace of it.
    previous: Callable[[], Report | None] | None = None
    # Recorded clusters without a context are scanned through the platform (its
    # /kubernetes/<cluster> proxy) when its address is known; the selection carries the flags.
    plans: bool = True  # upgrade plans for the clusters that must move (--no-plan: off)
    # How the report leaves the team (--redact): applied before comparing with `previous`.
    present: Callable[[Report], Report] | None = None


@dataclass(frozen=True)
class Plan:
    """What needs no network: the policy, the evaluation context if it is known yet, and the
    selected targets."""

    policy: Policy
    context: EvaluationContext | None  # None: the current version is to come from discovery
    selected: Selected

    @property
    def targets(self) -> tuple[Target, ...]:
        return self.selected.targets


def plan_scan(request: ScanRequest) -> Plan:
    # Policy first: a bad target or policy is reported before any file is parsed.
    policy = load_policy(request.policy)
    if request.from_version is None and request.discovery:
        target_release(policy, request.target)  # the current version comes later
        context = None
    else:
        context = scan_context(policy, request.target, request.from_version)
    return Plan(policy, context, select_all(request.selection))


def run_scan(request: ScanRequest, *, progress: Progress | None = None) -> Report:
    started = time.monotonic()
    generated_at = _now()
    plan = plan_scan(request)
    loaded = time.monotonic()
    global_target = plan.selected.global_target
    job = None
    if request.discovery and global_target is not None:
        job = DiscoveryJob(global_target, request.collect)
    discovery: Discovery | None = None
    resolved = None
    if plan.context is None and target_release(plan.policy, request.target).rule == "latest":
        # Nothing can be judged without the current version: fail before collecting.
        discovery = job.result() if job else None
        resolved = resolve_current(plan.policy, request, discovery)
    removals = load_removals() if request.plans else None
    goal_ctx = plan.context or (resolved[0] if resolved else _window_context(plan, request))
    needs_plan = needs_plan_for(goal_ctx) if removals is not None and goal_ctx else None
    observations = collect_targets(plan.targets, request.collect, progress, needs_plan)
    if job is not None and discovery is None:
        discovery = job.result()
    context, source, notes = resolved or resolve_current(plan.policy, request, discovery)
    platform = _platform(plan, request, context, discovery, source, notes)
    if platform.coverage is not None and platform.coverage.proxied:
        # A second wave: these targets are known only once discovery has answered.
        proxied = platform.coverage.proxied
        observations += collect_targets(proxied, request.collect, progress, needs_plan)
    collected = time.monotonic()
    stages = {"load": round(loaded - started, 4), "collect": round(collected - loaded, 4)}
    if discovery is not None:
        stages["discover"] = round(discovery.duration_seconds, 4)  # beside collection
    run = Run(
        __version__,
        generated_at,
        run_metadata(request.command_line, request.collect, context),
        started=started,
        stages=stages,
    )
    return evaluate(
        plan.targets,
        observations,
        context,
        run,
        platform=platform,
        waivers=request.waivers,
        today=dt.datetime.now(dt.UTC).date(),
        previous=request.previous() if request.previous else None,
        removals=removals,
        present=request.present,
    )


def _window_context(plan: Plan, request: ScanRequest) -> EvaluationContext | None:
    """The context the plan reads are decided with, before the current version is known: a
    ``window`` target needs none (a ``latest`` one was resolved before collecting)."""
    if target_release(plan.policy, request.target).rule != "window":
        return None
    return scan_context(plan.policy, request.target, None)


def _platform(
    plan: Plan,
    request: ScanRequest,
    context: EvaluationContext,
    discovery: Discovery | None,
    source: str | None,
    notes: Sequence[str],
) -> Platform:
    if discovery is None:
        info = PlatformInfo(
            current_version=_current(context),
            current_version_source=source,
            notes=(DISCOVERY_OFF,) if not request.discovery else (),
        )
        return Platform(info)
    selected = plan.selected
    coverage = plan_coverage(
        selected.targets,
        selected.unselected,
        discovery,
        selected.inventory,
        proxy_of(request.selection, selected.global_target),
    )
    info = platform_info(discovery, context, source, (*notes, *platform_notes(coverage)))
    return Platform(info, discovery, coverage)


def proxy_of(selection: Selection, global_target: Target | None) -> Proxy | None:
    """The platform proxy recorded clusters are scanned through, if it is on and known."""
    if not selection.platform_proxy or global_target is None or global_target.cluster is None:
        return None
    if global_target.problem or global_target.source != "kubeconfig":
        return None
    base = platform_base(global_target, selection.platform_url)
    if base is None:
        return None
    return Proxy(base, global_target, selection.contexts, selection.excludes)


def resolve_current(
    policy: Policy, request: ScanRequest, discovery: Discovery | None
) -> tuple[EvaluationContext, str | None, tuple[str, ...]]:
    """The evaluation context with the current version from ``--from``, else from the global
    cluster; also where it came from and notes. UsageError as :func:`scan_context` when a
    ``latest`` target still has no current version."""
    found = discovery.current_version if discovery else None
    if request.from_version is not None:
        context = scan_context(policy, request.target, request.from_version)
        notes = []
        if found and _platform_release(found) != _current(context):
            notes.append(
                f"the global cluster reports platform version {found}; "
                f"--from {request.from_version} was used"
            )
        return context, CURRENT_FROM_FLAG, tuple(notes)
    why = _why_no_current(discovery)
    if found:
        try:
            origin = (discovery.current_version_source if discovery else None) or (
                CURRENT_FROM_GLOBAL
            )
            return scan_context(policy, request.target, found), origin, ()
        except (PolicyError, UsageError) as exc:
            why = f"the global cluster reports platform version {found}, which is not usable: {exc}"
            if _platform_release(found) == target_release(policy, request.target).version:
                why = f"the global cluster already runs platform {found}"
    try:
        context = scan_context(policy, request.target, None)
    except UsageError as exc:
        raise UsageError(f"{exc}; {why}") from None
    return context, None, (why,) if discovery is not None and found else ()


def _why_no_current(discovery: Discovery | None) -> str:
    if discovery is None:
        return "platform discovery is off"
    shadow = [note for note in discovery.notes if note.startswith(SHADOWS.label)]
    detail = shadow[0] if shadow else "; ".join(discovery.notes[:1])
    return "the global cluster did not report its current version" + (
        f" ({detail})" if detail else ""
    )


def _platform_release(text: str) -> str | None:
    try:
        return normalize_platform_version(text)
    except VersionError:
        return None


def _current(context: EvaluationContext) -> str | None:
    return context.from_release.version if context.from_release else None


def platform_info(
    discovery: Discovery,
    context: EvaluationContext,
    source: str | None,
    notes: Sequence[str],
) -> PlatformInfo:
    return PlatformInfo(
        discovered=bool(discovery.read),
        current_version=_current(context),
        current_version_source=source if _current(context) else None,
        discovered_version=discovery.current_version,
        records=len(discovery.records),
        notes=(*discovery.notes, *notes),
        preflight=discovery.preflight,
        disabled_checks=discovery.disabled_checks,
        gates=(
            gates_for(discovery.gates, context.target.version)
            if discovery.gates is not None
            else None
        ),
        resource_patches=(
            len(discovery.resource_patches) if discovery.resource_patches is not None else None
        ),
    )


def survey(
    selection: Selection, options: ReadOptions, discovery: bool = True
) -> tuple[Selected, Discovery | None, Coverage | None]:
    """What ``contexts`` shows: the selection and, unless turned off, the platform records."""
    selected = select_all(selection)
    global_target = selected.global_target
    # A broken global context cannot be asked; its CONFIG column already says why.
    if not discovery or global_target is None or global_target.problem:
        return selected, None, None
    found = DiscoveryJob(global_target, options).result()
    proxy = proxy_of(selection, global_target)
    coverage = plan_coverage(
        selected.targets, selected.unselected, found, selected.inventory, proxy
    )
    return selected, found, coverage


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
    run = Run(
        __version__,
        generated_at,
        run_metadata(command_line, options, context),
        duration_seconds=time.monotonic() - started,
    )
    return evaluate(targets, observations, context, run, onboarding=True)


def run_plan(
    *,
    to: Minor,
    selection: Selection,
    policy_path: str | None,
    options: CollectOptions,
    command_line: str,
    progress: Progress | None = None,
) -> Report:
    """``plan --to MINOR``: every selected cluster below ``to`` gets its plan to it (no
    platform gate, no window). A cluster's status is its plan's: BLOCKED when something
    breaks on the way, WARN on a warning, PASS when nothing does or it is there already."""
    started = time.monotonic()
    generated_at = _now()
    policy = load_policy(policy_path)
    context = scan_context(policy, policy.known_versions[-1], None, check_onboarding=False)
    selected = select_all(selection)
    removals = load_removals()
    observations = collect_targets(selected.targets, options, progress, needs_plan_to(to))
    metadata = run_metadata(command_line, options, context)
    metadata.update(rule="plan", window=[], plan_to=format_minor(to))
    run = Run(__version__, generated_at, metadata, duration_seconds=time.monotonic() - started)
    return evaluate(selected.targets, observations, context, run, removals=removals, plan_to=to)


def collect_targets(
    targets: Sequence[Target],
    options: CollectOptions,
    progress: Progress | None = None,
    needs_plan: PlanGoal | None = None,
) -> list[Observation]:
    """Collect through the real client; tests of other stages pass plain observations."""
    kube = KubeCollector(options, needs_plan)
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
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _safe(getter: Callable[[], str]) -> str:
    try:
        return getter()
    except Exception:  # no user name in a container without passwd entry, for instance
        return "unknown"
