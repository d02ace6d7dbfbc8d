"""A cluster's own ResourcePatches (PLATFORM.md section 8, item 1: they live in every
cluster, ``operator.alauda.io/v1alpha1``, cluster-scoped). When that group/version is not
served, API discovery looks for the resource in the platform's other groups. When none
serves it the read fails ("not installed", a 404), and when a group's resource list could
not be read it fails saying so: either way the patches are "not read" and the manual
checklist names the cluster and why. A 403 or a 404 is never "none"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.kube.discovery import api_groups, resources_by_plural
from scanner.kube.documents import dig, text
from scanner.kube.errors import FetchError
from scanner.kube.reader import Reader
from scanner.kube.resources import PLATFORM_GROUP_SUFFIXES, RESOURCEPATCHES
from scanner.model import ErrorCategory, ResourcePatch

PATCH_BODY_LIMIT = 16 << 20  # one page of ResourcePatches
EXEMPT_ANNOTATION = "config.cpaas.io/exempt-for-ver"


async def read_resource_patches(reader: Reader) -> tuple[ResourcePatch, ...]:
    resource = RESOURCEPATCHES
    try:
        found = await reader.list_items(resource.path(), limit=PATCH_BODY_LIMIT)
    except FetchError as exc:
        if not exc.not_found:
            raise
        resource = resource.at(await _discovered(reader))
        found = await reader.list_items(resource.path(), limit=PATCH_BODY_LIMIT)
    return tuple(parse_patch(item) for item in found if isinstance(item, Mapping))


async def _discovered(reader: Reader) -> str:
    """The group/version serving resourcepatches, else a FetchError saying why not."""
    groups = await api_groups(reader)
    versions = [gv for g in groups if g.name.endswith(PLATFORM_GROUP_SUFFIXES) for gv in g.versions]
    unread: list[str] = []
    served = (
        await resources_by_plural(
            reader, versions, skip=lambda gv, why: unread.append(f"{gv} ({why})")
        )
    ).get(RESOURCEPATCHES.plural)
    if served:
        return served[0]
    if unread:
        raise FetchError(
            ErrorCategory.HTTP,
            f"resourcepatches is not at {RESOURCEPATCHES.group_version} and the resource "
            f"lists of {', '.join(unread[:3])}"
            + (f" and {len(unread) - 3} more" if len(unread) > 3 else "")
            + " could not be read, so whether another group serves it is not known",
        )
    raise FetchError(
        ErrorCategory.HTTP,
        "HTTP 404: no API group serves resourcepatches (the ResourcePatch API is not "
        "installed on this cluster)",
        status=404,
    )


def parse_patch(item: Mapping[str, Any]) -> ResourcePatch:
    meta, spec = dig(item, "metadata"), dig(item, "spec")
    target = dig(spec, "target")
    return ResourcePatch(
        name=text(meta.get("name")),
        target_kind=text(target.get("kind")),
        target_namespace=text(target.get("namespace")),
        target_name=text(target.get("name")),
        target_api_version=text(target.get("apiVersion")),
        exempt_for=text(dig(meta, "annotations").get(EXEMPT_ANNOTATION)),
        release=text(spec.get("release")),
        phase=text(dig(item, "status").get("phase")),
    )
