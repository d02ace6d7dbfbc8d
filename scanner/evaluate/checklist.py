"""The manual checklist of an upgrade: what the vendor's procedure for the target requires and
no API shows (the policy's ``manual_checks``, each when its condition holds), and every
readable check that could not be read here (the etcd backup, a cluster's resource patches),
so nothing the procedure asks is silently left out. Manual checks never change the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from scanner.evaluate.drafts import Draft, PlatformInputs
from scanner.inputs.checklist import ManualCheckSpec
from scanner.model import Extension, ManualCheck
from scanner.rules.context import EvaluationContext

ETCD_SOURCE = "https://docs.alauda.io/container_platform/4.3/configure/backup/etcd.html"
PATCH_SOURCE = "https://docs.alauda.io/container_platform/4.3/upgrade/upgrade_global_cluster.html"
SHOWN = 10  # clusters named in one check; the rest are counted
REASONS_SHOWN = 5  # distinct reasons a check gives; the rest are counted


def manual_checks(
    ctx: EvaluationContext, drafts: Sequence[Draft], platform: PlatformInputs | None
) -> tuple[ManualCheck, ...]:
    discovery = platform.discovery if platform is not None else None
    extensions = None if discovery is None else discovery.extensions
    found = [
        ManualCheck(spec.id, spec.text, spec.source, reason)
        for spec in ctx.target.manual_checks
        if (reason := _applies(spec, ctx, extensions)) is not None
    ]
    if discovery is None or discovery.etcd_backup is None:
        why = discovery.etcd_backup_problem if discovery is not None else ""
        found.append(
            ManualCheck(
                "etcd-backup",
                "Take an etcd backup of the global cluster before the upgrade and verify that it "
                "succeeded (a prerequisite of the upgrade).",
                ETCD_SOURCE,
                f"not readable here: {why or 'platform discovery did not run'}",
            )
        )
    unread = [d for d in drafts if d.obs.resource_patches is None]
    if unread:
        found.append(_patch_check(ctx, unread))
    return tuple(found)


def _applies(
    spec: ManualCheckSpec,
    ctx: EvaluationContext,
    extensions: Mapping[str, tuple[Extension, ...]] | None,
) -> str | None:
    """Why the check is on the list, or None when a known fact says it does not apply."""
    reasons = []
    if spec.when_from:
        current = ctx.from_release.version if ctx.from_release else None
        if current is None:
            reasons.append("the current version is not known")
        elif current not in spec.when_from:
            return None
        else:
            reasons.append(f"upgrading from {current}")
    if spec.when_modules:
        if extensions is None:
            reasons.append("the clusters' extensions were not read, so it may apply")
        else:
            hits = _modules(extensions, spec.when_modules)
            if not hits:
                return None
            reasons.append(f"installed: {_listed(hits)}")
    return "; ".join(reasons) or f"required for every upgrade to {ctx.target.version}"


def _modules(extensions: Mapping[str, tuple[Extension, ...]], wanted: Iterable[str]) -> list[str]:
    return sorted(
        {
            f"{ext.module} on {cluster}"
            for cluster, installed in extensions.items()
            for ext in installed
            if any(word in ext.module.lower() for word in wanted)
        }
    )


def _patch_check(ctx: EvaluationContext, unread: Sequence[Draft]) -> ManualCheck:
    """One check naming every cluster whose patches were not read, and each reason with the
    clusters it applies to (the reasons are counted beyond the first few, never dropped)."""
    names = [d.target.context for d in unread]
    by_reason: dict[str, list[str]] = {}
    for draft in unread:
        by_reason.setdefault(_why(draft), []).append(draft.target.context)
    reasons = [f"{why} ({_listed(who)})" for why, who in by_reason.items()]
    more = len(reasons) - REASONS_SHOWN
    return ManualCheck(
        "resource-patches",
        "Check the ResourcePatches of these clusters for the annotation "
        f"config.cpaas.io/exempt-for-ver={ctx.target_text} (kubectl get resourcepatches "
        f"-o yaml on each): {_listed(names)}.",
        PATCH_SOURCE,
        f"not readable here: {'; '.join(reasons[:REASONS_SHOWN])}"
        + (f" (and {more} more reasons)" if more > 0 else ""),
    )


def _why(draft: Draft) -> str:
    if draft.error is not None:
        return f"the cluster could not be scanned ({draft.error.category.value})"
    return draft.obs.resource_patches_error or "not read"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
