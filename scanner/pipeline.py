"""The one pipeline of ``scan``, ``plan`` and ``onboarding``, without click: policy and
inputs -> targets -> collect (with platform discovery beside it) -> the one evaluation pass
-> the finished report.

The pipeline is given its services (as pip-audit's ``Auditor(service).audit(source)``): a
fleet collector (:class:`~scanner.collect.FleetCollector`) and a platform discoverer
(:class:`~scanner.platform.read.Discoverer`), so orchestration is tested with plain data.
What kind of run it is comes with the request (:class:`Upgrade`, :class:`Onboarding`,
:class:`PlanTo`) and becomes the evaluation's mode (:mod:`scanner.evaluate.modes`).

The current platform version is resolved once per run: ``--from``, else what the global
cluster reports. A ``latest`` target needs it before anything is judged, so without
``--from`` the pipeline waits for discovery before collecting (and stops with a usage error
if discovery cannot say).
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from scanner import __version__
from scanner.collect import Asks, CollectOptions, FleetCollector, Progress
from scanner.evaluate import (
    Mode,
    PlatformInputs,
    RoadmapOptions,
    Run,
    RunProgress,
    Scanned,
    evaluate,
)
from scanner.evaluate.modes import OnboardingMode, PlanToMode, UpgradeMode
from scanner.inputs.policy import Minor, Policy, load_policy
from scanner.inputs.removals import load_removals
from scanner.inputs.selection import Selected, Selection, load_selection, select_all
from scanner.inputs.targets import Target, platform_base, select_candidates
from scanner.model import Access, Observation, Waiver
from scanner.platform.discovery import Discovery
from scanner.platform.match import Coverage, Proxy, match_coverage, platform_notes
from scanner.platform.read import Discoverer
from scanner.report import PlatformSection, Report
from scanner.rules.context import (
    MAX_BACKUP_AGE,
    MAX_PREFLIGHT_AGE,
    Current,
    EvaluationContext,
    onboarding_context,
    platform_release,
    resolve_current,
    scan_context,
    target_release,
)
from scanner.rules.plan import needs_plan_for, needs_plan_to
from scanner.rules.platform import gates_for
from scanner.versions import parse_platform_version

DISCOVERY_OFF = "platform discovery turned off (--no-discovery)"


@dataclass(frozen=True)
class Upgrade:
    """``scan``: can the global cluster go to ``target``?"""

    target: str
    from_version: str | None = None
    discovery: bool = True  # read the global cluster's records of the clusters it manages
    plans: bool = True  # upgrade plans for the clusters that must move (--no-plan: off)
    max_preflight_age: dt.timedelta = MAX_PREFLIGHT_AGE  # --max-preflight-age
    max_backup_age: dt.timedelta = MAX_BACKUP_AGE  # --max-backup-age
    # The roadmap's windows: --steps-per-window, --max-parallel, --stall-runs.
    roadmap: RoadmapOptions = field(default_factory=RoadmapOptions)


@dataclass(frozen=True)
class Onboarding:
    """``onboarding``: is every selected cluster inside the target's onboarding range?"""

    target: str


@dataclass(frozen=True)
class PlanTo:
    """``plan --to MINOR``: what breaks on every selected cluster's way to a minor."""

    to: Minor


RunKind = Upgrade | Onboarding | PlanTo


@dataclass(frozen=True)
class RunRequest:
    """Everything a run needs, parsed once at the command line."""

    kind: RunKind
    selection: Selection = field(default_factory=Selection)
    policy: str | None = None
    collect: CollectOptions = field(default_factory=CollectOptions)
    command_line: str = ""
    waivers: tuple[Waiver, ...] = ()
    # The previous run, to record what changed since; read once the scan has collected, so
    # an interrupted scan leaves no trace of it.
    previous: Callable[[], Report | None] | None = None
    # How the report leaves the team (--redact): applied before comparing with `previous`.
    present: Callable[[Report], Report] | None = None
    # The earlier runs of the output directory, for the roadmap's burn-down and stalls.
    history: Callable[[], Sequence[RunProgress]] | None = None


class Collect(Protocol):
    """The fleet seam: one observation per target, in target order."""

    def __call__(
        self,
        targets: Sequence[Target],
        asks: Asks | None = None,
        progress: Progress | None = None,
    ) -> list[Observation]: ...


class DiscoveryHandle(Protocol):
    def result(self) -> Discovery: ...


class Discover(Protocol):
    """The platform seam: discovery of a global target, running beside collection."""

    def start(self, target: Target) -> DiscoveryHandle: ...


@dataclass(frozen=True)
class _Found:
    """What a kind of run found before evaluation: its mode, what was scanned, timings."""

    mode: Mode
    scanned: Scanned
    stages: dict[str, float]


class Pipeline:
    """``Pipeline(collect, discover).run(request)``: one finished report per run."""

    def __init__(self, collect: Collect, discover: Discover | None = None) -> None:
        self.collect = collect
        self.discover = discover

    def run(self, request: RunRequest, progress: Progress | None = None) -> Report:
        started = time.monotonic()
        generated_at = _now()
        policy = load_policy(request.policy)  # first: a bad target or policy before any file
        kind = request.kind
        if isinstance(kind, Upgrade):
            found = self._upgrade(kind, policy, request, progress, started)
        elif isinstance(kind, Onboarding):
            found = self._onboarding(kind, policy, request, progress, started)
        else:
            found = self._plan(kind, policy, request, progress, started)
        metadata = {**run_metadata(request.command_line, request.collect), **found.mode.metadata()}
        run = Run(__version__, generated_at, metadata, started=started, stages=found.stages)
        return evaluate(
            found.mode,
            found.scanned,
            run,
            waivers=request.waivers,
            today=dt.datetime.now(dt.UTC).date(),
            previous=request.previous() if request.previous else None,
            present=request.present,
            history=request.history() if request.history else (),
        )

    def _upgrade(
        self,
        kind: Upgrade,
        policy: Policy,
        request: RunRequest,
        progress: Progress | None,
        started: float,
    ) -> _Found:
        target = target_release(policy, kind.target)
        version = parse_platform_version(kind.target)
        current: Current | None = None
        ctx: EvaluationContext | None = None
        if kind.from_version is not None:
            current = resolve_current(policy, target, kind.from_version, None, version)
        elif not kind.discovery:
            current = Current()
        if current is not None:
            # Known without the platform: judged (and refused) before any file is parsed.
            ctx = scan_context(policy, target, current, version=version)
        selected = select_all(request.selection)
        loaded = time.monotonic()
        global_target = selected.global_target
        job = None
        if kind.discovery and self.discover is not None and global_target is not None:
            job = self.discover.start(global_target)
        discovery: Discovery | None = None
        if ctx is None and target.rule == "latest":
            # Nothing can be judged without the current version: wait for it, or stop here.
            discovery = job.result() if job is not None else None
            current = resolve_current(policy, target, None, discovery, version)
            ctx = scan_context(policy, target, current, version=version)
        removals = load_removals() if kind.plans else None
        goal = needs_plan_for(target, current.release if current else None) if removals else None
        # Every cluster's own ResourcePatches are platform reads: off with --no-discovery
        # (the manual checklist then names the clusters whose patches were not read).
        asks = Asks(plan_goal=goal, patches=kind.discovery)
        observations = self.collect(selected.targets, asks, progress)
        if job is not None and discovery is None:
            discovery = job.result()
        if current is None:
            current = resolve_current(policy, target, None, discovery, version)
            ctx = scan_context(policy, target, current, version=version)
        assert ctx is not None
        ctx = replace(
            ctx,
            now=dt.datetime.now(dt.UTC),
            max_preflight_age=kind.max_preflight_age,
            max_backup_age=kind.max_backup_age,
        )
        platform = self._platform(kind, request.selection, selected, ctx, current, discovery)
        if platform.coverage is not None and platform.coverage.proxied:
            # A second wave: these targets are known only once discovery has answered.
            observations += self.collect(platform.coverage.proxied, asks, progress)
        stages = _stages(started, loaded)
        if discovery is not None:
            stages["discover"] = round(discovery.duration_seconds, 4)  # beside collection
        scanned = Scanned(selected.targets, observations, platform)
        return _Found(UpgradeMode(ctx, removals, kind.roadmap), scanned, stages)

    def _platform(
        self,
        kind: Upgrade,
        selection: Selection,
        selected: Selected,
        ctx: EvaluationContext,
        current: Current,
        discovery: Discovery | None,
    ) -> PlatformInputs:
        if discovery is None:
            section = PlatformSection(
                current_version=ctx.from_text,
                current_version_source=current.source,
                notes=(DISCOVERY_OFF,) if not kind.discovery else (),
            )
            return PlatformInputs(section)
        proxy = proxy_of(selection, selected.global_target)
        coverage = match_coverage(
            selected.targets, selected.unselected, discovery, selected.inventory, proxy
        )
        notes = (*current_notes(kind, current, discovery), *platform_notes(coverage))
        return PlatformInputs(platform_section(discovery, ctx, notes), discovery, coverage)

    def _onboarding(
        self,
        kind: Onboarding,
        policy: Policy,
        request: RunRequest,
        progress: Progress | None,
        started: float,
    ) -> _Found:
        ctx = onboarding_context(policy, kind.target)
        config, inventory = load_selection(request.selection)
        selection = request.selection
        targets = select_candidates(
            config, include=selection.contexts, exclude=selection.excludes, inventory=inventory
        )
        loaded = time.monotonic()
        observations = self.collect(targets, None, progress)
        mode = OnboardingMode(ctx)
        return _Found(mode, Scanned(targets, observations), _stages(started, loaded))

    def _plan(
        self,
        kind: PlanTo,
        policy: Policy,
        request: RunRequest,
        progress: Progress | None,
        started: float,
    ) -> _Found:
        newest = target_release(policy, _newest_target(policy))
        ctx = scan_context(policy, newest, Current(), check_onboarding=False)
        selected = select_all(request.selection)
        removals = load_removals()
        loaded = time.monotonic()
        observations = self.collect(selected.targets, Asks(needs_plan_to(kind.to)), progress)
        mode = PlanToMode(ctx, kind.to, removals)
        scanned = Scanned(selected.targets, observations)
        return _Found(mode, scanned, _stages(started, loaded))


def default_pipeline(options: CollectOptions) -> Pipeline:
    """The pipeline with the real services: the kubernetes client over HTTPS."""
    return Pipeline(FleetCollector(options), Discoverer(options))


def _newest_target(policy: Policy) -> str:
    """The newest release that can be a target: the plan command judges no window, but its
    report names a policy context."""
    return next(v for v in reversed(policy.known_versions) if policy.releases[v].rule)


def _stages(started: float, loaded: float) -> dict[str, float]:
    return {"load": round(loaded - started, 4), "collect": round(time.monotonic() - loaded, 4)}


def current_notes(kind: Upgrade, current: Current, discovery: Discovery) -> tuple[str, ...]:
    """What the report says of the current version against what the global cluster says."""
    found = discovery.current_version
    if kind.from_version is not None and current.release is not None:
        if found and platform_release(found) != current.release.version:
            return (
                f"the global cluster reports platform version {found}; "
                f"--from {kind.from_version} was used",
            )
        return ()
    return (current.missing,) if found and current.release is None else ()


def proxy_of(selection: Selection, global_target: Target | None) -> Proxy | None:
    """The platform proxy recorded clusters are scanned through, if it is on and known."""
    if not selection.platform_proxy or global_target is None or global_target.cluster is None:
        return None
    if global_target.problem or global_target.access is not Access.KUBECONFIG:
        return None
    base = platform_base(global_target, selection.platform_url)
    if base is None:
        return None
    return Proxy(base, global_target, selection.contexts, selection.excludes)


def platform_section(
    discovery: Discovery, ctx: EvaluationContext, notes: Sequence[str]
) -> PlatformSection:
    version = ctx.from_text
    return PlatformSection(
        discovered=bool(discovery.read),
        current_version=version,
        current_version_source=ctx.current_source if version else None,
        discovered_version=discovery.current_version,
        records=len(discovery.records),
        notes=(*discovery.notes, *notes),
        preflight=discovery.preflight,
        disabled_checks=discovery.disabled_checks,
        gates=(
            gates_for(discovery.gates, ctx.target.version) if discovery.gates is not None else None
        ),
        etcd_backup=discovery.etcd_backup,
        pending_csrs=discovery.pending_csrs,
    )


def survey(
    selection: Selection, discoverer: Discover | None
) -> tuple[Selected, Discovery | None, Coverage | None]:
    """What ``contexts`` shows: the selection and, with a discoverer, the platform records."""
    selected = select_all(selection)
    global_target = selected.global_target
    # A broken global context cannot be asked; its CONFIG column already says why.
    if discoverer is None or global_target is None or global_target.problem:
        return selected, None, None
    found = discoverer.start(global_target).result()
    proxy = proxy_of(selection, global_target)
    coverage = match_coverage(
        selected.targets, selected.unselected, found, selected.inventory, proxy
    )
    return selected, found, coverage


def run_metadata(command_line: str, options: CollectOptions) -> dict[str, Any]:
    """Run facts an auditor needs (the mode adds its own: the rule, the window)."""
    return {
        "host": _safe(socket.gethostname),
        "user": _safe(getpass.getuser),
        "command_line": command_line,
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
