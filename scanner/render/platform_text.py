"""Platform discovery in words, shared by the terminal table and the report templates."""

from __future__ import annotations

from collections import Counter

from scanner.model import PREFLIGHT_STATES, CurrentSource, Preflight
from scanner.report import PlatformSection

NO_RESULT = "no result yet"
NOT_READ = "not read"
_SOURCES = {
    CurrentSource.FLAG: "given with --from",
    CurrentSource.GLOBAL_CLUSTER: "from the global cluster",
    CurrentSource.PRODUCTBASE: "from the global cluster's ProductBase",
}


def discovery_text(info: PlatformSection) -> str:
    """``14 clusters recorded on the global cluster`` or why there are none."""
    if not info.discovered:
        return "no platform API of the global cluster was read"
    return (
        f"{info.records} cluster{'' if info.records == 1 else 's'} recorded on the global cluster"
    )


def current_text(info: PlatformSection) -> str:
    """``4.2.3 (from the global cluster)``, ``4.2 (from the global cluster, v4.2.3)``,
    ``4.2 (given with --from)`` or ``not known``."""
    if info.current_version is None:
        found = f" (the global cluster reports {info.discovered_version})"
        return "not known" + (found if info.discovered_version else "")
    origin = info.current_version_source
    source = _SOURCES[origin] if origin is not None else "source not recorded"
    reported = info.discovered_version
    if reported and reported.lstrip("vV") == info.current_version:
        reported = None  # "4.2.3 (from the global cluster)", not "…, v4.2.3" again
    if reported and origin in (CurrentSource.GLOBAL_CLUSTER, CurrentSource.PRODUCTBASE):
        source += f", {reported}"
    elif reported:
        source += f"; the global cluster reports {reported}"
    return f"{info.current_version} ({source})"


def preflight_text(preflight: Preflight | None) -> str:
    """``observed 2025-06-01T11:58:00Z: 1 failed, 1 retry, 3 passed`` or ``no result yet``."""
    if preflight is None or not preflight.checks:
        return NO_RESULT
    counts = Counter(check.state for check in preflight.checks)
    order = ("Failed", "Retry", "Passed")
    parts = [f"{counts[state]} {state.lower()}" for state in order if counts[state]]
    other = sum(n for state, n in counts.items() if state not in PREFLIGHT_STATES)
    if other:
        parts.append(f"{other} in another state")
    when = preflight.observed_at or "at an unknown time"
    return f"observed {when}: {', '.join(parts)}"


def disabled_text(info: PlatformSection) -> str:
    """The preflight checks turned off in ``cpaas-system/cvo-config``, for auditors."""
    if info.disabled_checks is None:
        return NOT_READ
    return ", ".join(info.disabled_checks) if info.disabled_checks else "none"


def gates_text(info: PlatformSection) -> str:
    """``1 of 2 not acknowledged: ack-...`` over the gates that apply to the target."""
    if info.gates is None:
        return NOT_READ
    applying = [gate for gate in info.gates if gate.applies]
    if not applying:
        return "none for this target"
    open_ = [gate.key for gate in applying if not gate.acknowledged]
    if not open_:
        return f"{len(applying)} acknowledged"
    return f"{len(open_)} of {len(applying)} not acknowledged: {', '.join(open_)}"


def etcd_text(info: PlatformSection) -> str:
    """``newest success 2026-12-03T09:46:33Z (etcd-snapshot-b.db); 2 records`` or not read."""
    backup = info.etcd_backup
    if backup is None:
        return f"{NOT_READ} (a manual check)"
    success = backup.newest_success
    text = (
        f"newest success {success.timestamp} ({success.file or 'no file'})"
        if success
        else "no successful backup recorded"
    )
    newest = backup.newest
    if newest is not None and newest is not success and newest != success:
        text += f"; newest record {newest.timestamp}: {newest.result or '(no result)'}"
    text += f"; {backup.records} record{'' if backup.records == 1 else 's'}"
    return text + ("; paused" if backup.paused else "")


def csr_text(info: PlatformSection) -> str:
    return NOT_READ if info.pending_csrs is None else str(info.pending_csrs)


def patches_text(info: PlatformSection) -> str:
    """How many resource patches the fleet's clusters hold (each cluster's own)."""
    return NOT_READ if info.resource_patches is None else str(info.resource_patches)


def platform_lines(info: PlatformSection) -> list[str]:
    """The terminal's platform lines: discovery, current version, notes, preflight, the
    checks disabled, the admin gates, the etcd backup and pending certificate requests."""
    lines = [f"{discovery_text(info)}; current version {current_text(info)}"]
    lines.extend(info.notes)
    lines.append(f"preflight {preflight_text(info.preflight)}")
    if info.discovered:
        lines.append(f"preflight checks disabled in cvo-config: {disabled_text(info)}")
        lines.append(f"admin gates: {gates_text(info)}")
        lines.append(f"etcd backup: {etcd_text(info)}")
        lines.append(f"pending certificate requests: {csr_text(info)}")
    return lines
