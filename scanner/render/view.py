"""The view model of the text reports: the context every report template gets, and the
filters that turn a cluster into words. The environment is :mod:`scanner.render.jinja`.

Template context (the variables of ``report.md.j2`` and ``report.html.j2``):

``report``
    The :class:`scanner.report.Report` itself: ``target``, ``from_version``, ``verdict``,
    ``generated_at``, ``duration_seconds``, ``tool_version``, ``exit_code``,
    ``policy`` (``id``, ``source``, ``sha256``), ``notes``, ``metadata``, ``clusters``.
``verdict``
    ``"READY"``, ``"NOT_READY"`` or ``"INCOMPLETE"``.
``verdict_label``
    The verdict for people: ``"READY"``, ``"NOT READY"``, ``"INCOMPLETE"``.
``headline``
    One sentence saying what the verdict means for the global upgrade, with counts.
``target``, ``from_version``
    The target platform version, and the current one or ``"not given"``.
``summary``
    Counts: ``{"total", "pass", "warn", "blocked", "unknown"}``.
``clusters``
    Every :class:`~scanner.report.ClusterResult` in display order: the global cluster first,
    then BLOCKED, UNKNOWN, WARN, PASS, each by context.
``blocked``, ``unknown``
    The BLOCKED and the UNKNOWN clusters, in display order: what to act on first.
``findings``
    Every finding as ``{"cluster": ClusterResult, "finding": Finding}``: blockers first,
    then warnings, then info, each in cluster display order.
``window``
    Kubernetes minors compatible with the target (``report.metadata["window"]``), or ``[]``.
``run``
    Run metadata as ``[(label, value), ...]`` strings: tool, verdict, policy id/source/sha256,
    target, from, generated at, duration, host, user, command line (``"unknown"`` if absent).
``platform``
    What platform discovery found (:class:`scanner.report.PlatformInfo`: ``discovered``,
    ``current_version``, ``current_version_source``, ``discovered_version``, ``records``,
    ``notes``, ``preflight``), or ``None`` for a report from before discovery existed.
``platform_facts``
    ``[(label, value), ...]`` strings: discovery, current version, preflight summary
    (``no result yet`` when the platform has none: never a pass); ``[]`` without ``platform``.
``preflight_checks``
    The platform preflight's checks (``name``, ``policy``, ``state``, ``reason``,
    ``message``), Failed first, then Retry, other states, Passed; ``[]`` when there are none.
``controllers``
    Per cluster that has one: ``cluster``, ``state`` (versions and True conditions of its
    upgrade operator view), ``preflight`` (summary, ``no result yet`` when none), ``checks``
    (those not Passed), ``last_update``, ``extensions`` (unstable first).
``change_sections``
    ``[(label, attribute), ...]`` of ``report.changes`` (``None`` unless the run was compared
    with the previous one in its ``--output-dir``): ``new_blockers``, ``resolved``,
    ``status_changes``, ``version_changes``, each a list of changes with ``context``,
    ``before``, ``after``, ``detail``; plus ``since`` and ``previous_verdict``.
``chart``
    The version distribution chart (:class:`scanner.render.chart.Chart`): SVG geometry
    (``bars`` with stacked ``segments``, ``ticks``, the window ``band``), ``unversioned``,
    ``description``, ``empty``.

The HTML template also gets ``stylesheet`` and ``script`` (the contents of ``report.css``
and ``report.js``, from the same search path, so a user directory can replace them) and
``script_hash`` (the CSP source allowing exactly that script).

Filters, each taking a cluster: ``version_text`` (``v1.30.4``, ``v1.30.4 (recorded)`` for a
cluster known only from its platform record, or ``-``), ``kind_text`` (``ipi (inventory)``,
``hosted (platform)``, ``unknown``), ``current_minor``
(``1.30`` or empty), ``nodes_text`` (``3 nodes``), ``kubelet_spread`` (``1.29-1.30``),
``kubelet_detail`` (``v1.30.4 x2, v1.29.9 x1``), ``error_hint`` (what to check for an
UNKNOWN cluster). And ``md``, which escapes any value for Markdown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from scanner.model import (
    Access,
    ErrorCategory,
    Extension,
    Preflight,
    PreflightCheck,
    ResourcePatch,
    Role,
    Severity,
    Status,
    Verdict,
)
from scanner.render.base import CHANGE_LABELS
from scanner.render.chart import version_chart
from scanner.render.platform_text import (
    csr_text,
    current_text,
    disabled_text,
    discovery_text,
    etcd_text,
    gates_text,
    patches_text,
    preflight_text,
)
from scanner.render.roadmap_text import roadmap_context
from scanner.report import ClusterResult, PlatformSection, Report
from scanner.versions import parse_git_version

UNKNOWN = "unknown"

_KIND_SOURCES = {"inventory": "inventory", "discovery": "platform"}
_STATUS_ORDER = {Status.BLOCKED: 0, Status.UNKNOWN: 1, Status.WARN: 2, Status.PASS: 3}
_SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
_ERROR_HINTS = {
    ErrorCategory.CONFIG: "Repair the context in the kubeconfig (user, certificate files, "
    "exec plugin) and re-run the scan.",
    ErrorCategory.TIMEOUT: "Check the network path (VPN, firewall, proxy) to the API server, "
    "or raise --timeout, and re-run the scan.",
    ErrorCategory.UNREACHABLE: "Check that the server address resolves and is reachable from "
    "this host, and re-run the scan.",
    ErrorCategory.TLS: "Check the certificate authority in the kubeconfig against the API "
    "server's certificate, and re-run the scan.",
    ErrorCategory.AUTH: "Refresh the credentials; the user needs to read /version and list "
    "nodes. Re-run the scan.",
    ErrorCategory.HTTP: "Check the API server (or the proxy in front of it) for the failing "
    "status, and re-run the scan.",
    ErrorCategory.INVALID_RESPONSE: "Check that the server address points at a Kubernetes API "
    "server, and re-run the scan.",
}


def error_hint(cluster: ClusterResult) -> str:
    """What to check when a cluster could not be scanned, by error category."""
    if cluster.error is None or cluster.error.category not in _ERROR_HINTS:
        return "Fix the cause above and re-run the scan."
    return _ERROR_HINTS[cluster.error.category]


def version_text(cluster: ClusterResult) -> str:
    if cluster.version is None:
        # Not read live: the platform's record, when there is one, is what was judged.
        return f"{cluster.recorded_version} (recorded)" if cluster.recorded_version else "-"
    return (
        f"{cluster.version} (recorded)"
        if cluster.access is Access.PLATFORM_RECORD
        else str(cluster.version)
    )


def kind_text(cluster: ClusterResult) -> str:
    """The kind and where it came from: the inventory, or the platform's records."""
    source = _KIND_SOURCES.get(cluster.kind_source or "")
    return f"{cluster.kind} ({source})" if source and cluster.kind != "unknown" else cluster.kind


def current_minor(cluster: ClusterResult) -> str:
    return cluster.version.minor_text if cluster.version else ""


def nodes_text(cluster: ClusterResult) -> str:
    """``3 nodes`` or ``3 nodes, 1 not Ready``."""
    nodes = cluster.nodes
    if nodes is None:
        return "-"
    text = f"{nodes.count} node{'' if nodes.count == 1 else 's'}"
    return text + (f", {nodes.not_ready} not Ready" if nodes.not_ready else "")


def counted(counts: Mapping[str, int], shown: int = 3) -> str:
    """``v1.30.4 x2, v1.29.9 x1``: the most common values first, ``shown`` of them, and how
    many more there are."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{value} x{count}" for value, count in ordered[:shown])
    more = len(ordered) - shown
    return text + (f" and {more} more" if more > 0 else "") if text else "-"


def node_rows(clusters: Sequence[ClusterResult]) -> list[dict[str, Any]]:
    """Per cluster with a node list: its nodes, those not Ready, kernels, OS images and
    container runtimes (the vendor's prerequisites ask for Ready nodes on a supported OS)."""
    return [
        {
            "cluster": c,
            "count": c.nodes.count,
            "not_ready": c.nodes.not_ready,
            "kernels": counted(c.nodes.kernel_versions),
            "os_images": counted(c.nodes.os_images),
            "runtimes": counted(c.nodes.container_runtimes),
        }
        for c in clusters
        if c.nodes is not None
    ]


def kubelet_spread(cluster: ClusterResult) -> str:
    """Oldest and newest kubelet minor, e.g. ``1.29-1.30``; ``-`` when unknown."""
    if cluster.nodes is None:
        return "-"
    minors = set()
    for raw in cluster.nodes.kubelet_versions:
        try:
            minors.add(parse_git_version(raw).minor_key)
        except ValueError:
            continue  # an odd kubelet string is still listed by kubelet_detail
    if not minors:
        return "-"
    low, high = min(minors), max(minors)
    text = [f"{major}.{minor}" for major, minor in (low, high)]
    return text[0] if low == high else f"{text[0]}-{text[1]}"


def kubelet_detail(cluster: ClusterResult) -> str:
    if cluster.nodes is None:
        return ""
    versions = sorted(cluster.nodes.kubelet_versions.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{version} x{count}" for version, count in versions)


def build_context(report: Report) -> dict[str, Any]:
    """The template context documented in this module's docstring."""
    clusters = sorted(report.clusters, key=_display_key)
    raw_window = report.metadata.get("window")
    window = [str(m) for m in raw_window] if isinstance(raw_window, list | tuple) else []
    return {
        "report": report,
        "verdict": report.verdict.value,
        "verdict_label": report.verdict.value.replace("_", " "),
        "headline": headline(report),
        "target": report.target,
        "from_version": report.from_version or "not given",
        "summary": report.summary.to_dict(),
        "clusters": clusters,
        "blocked": [c for c in clusters if c.status is Status.BLOCKED],
        "unknown": [c for c in clusters if c.status is Status.UNKNOWN],
        "findings": _findings(clusters),
        "window": window,
        "run": run_metadata(report),
        "chart": version_chart(report.clusters, window, report.target),
        "change_sections": CHANGE_LABELS,
        "platform": report.platform,
        "platform_facts": platform_facts(report.platform),
        "preflight_checks": _preflight_checks(report.platform),
        "preflight_left_out": (
            left_out(report.platform.preflight.checks)
            if report.platform is not None and report.platform.preflight is not None
            else ""
        ),
        "controllers": controller_rows(clusters),
        "nodes": node_rows(clusters),
        "manual_checks": report.manual_checks,
        **roadmap_context(report),
    }


def platform_facts(platform: PlatformSection | None) -> list[tuple[str, str]]:
    if platform is None:
        return []
    return [
        ("Discovery", discovery_text(platform)),
        ("Current version", current_text(platform)),
        ("Preflight", preflight_text(platform.preflight)),
        ("Checks disabled in cvo-config", disabled_text(platform)),
        ("Admin gates", gates_text(platform)),
        ("etcd backup of the global cluster", etcd_text(platform)),
        ("Pending certificate requests", csr_text(platform)),
        ("Resource patches read", patches_text(platform)),
    ]


def controller_rows(clusters: Sequence[ClusterResult]) -> list[dict[str, Any]]:
    """Per cluster with an upgrade-operator view or extensions: what the platform's upgrade
    controller says (versions, conditions that are True, the newest history entry), its
    preflight (``no result yet`` when there is none: never a pass) with the checks that did
    not pass, and the extensions, unstable ones first."""
    rows = []
    for c in clusters:
        ctrl = c.upgrade_controller
        if ctrl is None and not c.extensions and not c.resource_patches and not c.platform_version:
            continue
        state, checks, last, more = "-", [], "-", ""
        if ctrl is not None:
            versions = (
                " -> ".join(v for v in (ctrl.current, ctrl.desired) if v) or "versions not set"
            )
            true = [cond.type for cond in ctrl.conditions if cond.status == "True"]
            state = versions + (f"; {', '.join(true)}" if true else "")
            failing = [ch for ch in _ordered(ctrl.preflight) if ch.state != "Passed"]
            checks = failing[:CHECKS_SHOWN]
            more = left_out(failing)
            if ctrl.last_update is not None:
                entry = ctrl.last_update
                last = " ".join(p for p in (entry.version, entry.state, entry.completed) if p)
        extensions = sorted(
            c.extensions or (),
            key=lambda e: (
                not (e.block_reasons or e.between_versions or e.phase != "Running"),
                e.module,
            ),
        )
        rows.append(
            {
                "cluster": c,
                "state": state,
                "preflight": preflight_text(ctrl.preflight) if ctrl else "no upgrade operator view",
                "checks": checks,
                "checks_left_out": more,
                "last_update": last,
                "extensions": [(e, extension_text(e)) for e in extensions],
                "patches": [patch_text(p) for p in c.resource_patches or ()],
            }
        )
    return rows


def extension_text(ext: Extension) -> str:
    """``v4.1.8 (wants v4.2.0), Upgrading, moving through v4.2.0, Healthy False, unknown``."""
    parts = [ext.version or "-"]
    if ext.between_versions and ext.target_version and ext.target_version != ext.version:
        parts[0] += f" (wants {ext.target_version})"
    parts.append(ext.phase or "no phase")
    if ext.transit_version:
        parts.append(f"moving through {ext.transit_version}")
    parts.extend(f"{c.type} False" for c in ext.conditions if c.status == "False")
    parts.append(f"lifecycle {ext.lifecycle or 'unknown'}")
    return ", ".join(parts)


def patch_text(patch: ResourcePatch) -> str:
    exempt = f"exempt for {patch.exempt_for}" if patch.exempt_for else "not exempted"
    return f"{patch.name}: patches {patch.target_text}, {exempt}"


def _ordered(preflight: Preflight | None) -> list[PreflightCheck]:
    if preflight is None:
        return []
    order = {"Failed": 0, "Retry": 1, "Passed": 3}
    return sorted(preflight.checks, key=lambda check: order.get(check.state, 2))


CHECKS_SHOWN = 50  # preflight checks a report lists; every one is judged and in the JSON


def _preflight_checks(platform: PlatformSection | None) -> list[PreflightCheck]:
    return _ordered(platform.preflight)[:CHECKS_SHOWN] if platform is not None else []


def left_out(checks: Sequence[PreflightCheck], shown: int = CHECKS_SHOWN) -> str:
    """``9950 more checks not shown (all Passed; ...)`` for the checks past ``shown`` in
    display order, or ""."""
    rest = _ordered(Preflight(checks=tuple(checks)))[shown:]
    if not rest:
        return ""
    states = Counter(check.state or "(none)" for check in rest)
    if len(states) == 1:
        breakdown = f"all {next(iter(states))}"
    else:
        breakdown = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    return (
        f"{len(rest)} more check{'' if len(rest) == 1 else 's'} not shown ({breakdown}; every "
        "check is in the JSON report)"
    )


def _display_key(cluster: ClusterResult) -> tuple[int, int, str]:
    return (0 if cluster.role is Role.GLOBAL else 1, _STATUS_ORDER[cluster.status], cluster.context)


def _findings(clusters: list[ClusterResult]) -> list[dict[str, Any]]:
    rows = [{"cluster": c, "finding": f} for c in clusters for f in c.findings]
    # sorted() is stable, so clusters keep their display order within a severity.
    return sorted(rows, key=lambda row: _SEVERITY_ORDER[row["finding"].severity])


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def headline(report: Report) -> str:
    """One sentence a change manager can paste: what the verdict means, with counts."""
    s = report.summary
    target = report.target
    if report.verdict is Verdict.READY:
        warned = f"; review {_plural(s.warn, 'warning cluster')}" if s.warn else ""
        return f"The global cluster can be upgraded to {target}: no cluster blocks it{warned}."
    if report.verdict is Verdict.NOT_READY:
        unknown = f", {s.unknown} could not be scanned" if s.unknown else ""
        return (
            f"The global cluster cannot be upgraded to {target} yet: "
            f"{_plural(s.blocked, 'cluster')} blocked{unknown}."
        )
    return (
        f"Readiness for {target} is not proven: {s.unknown} of {_plural(s.total, 'cluster')} "
        "could not be scanned, and an unknown cluster is never a pass."
    )


def run_metadata(report: Report) -> list[tuple[str, str]]:
    """What an auditor needs to trust the report, as ``(label, value)`` rows."""
    meta: Mapping[str, Any] = report.metadata

    def fact(key: str) -> str:
        value = meta.get(key)
        return str(value) if value not in (None, "") else UNKNOWN

    return [
        ("Tool", f"upgrade-scanner {report.tool_version}"),
        ("Verdict", f"{report.verdict.value} (exit code {report.exit_code})"),
        ("Target", report.target),
        ("From", report.from_version or "not given"),
        ("Policy", report.policy.id),
        ("Policy source", report.policy.source),
        ("Policy sha256", report.policy.sha256),
        ("Generated at", report.generated_at),
        ("Duration", f"{report.duration_seconds:.1f} s"),
        ("Host", fact("host")),
        ("User", fact("user")),
        ("Command line", fact("command_line")),
        ("Schema version", str(report.schema_version)),
    ]
