"""API discovery, parsed in one place: the group/versions a cluster serves (``GET /apis``)
and the resources one group/version serves (its resource list)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scanner.kube.reader import Reader
from scanner.kube.resources import APIS_PATH, group_version_path

DISCOVERY_BODY_LIMIT = 4 << 20  # GET /apis, and one group-version's resource list


@dataclass(frozen=True)
class ApiGroup:
    name: str
    versions: tuple[str, ...]  # group/versions, the preferred one first


async def api_groups(reader: Reader) -> tuple[ApiGroup, ...]:
    """Every group ``/apis`` lists, with its group/versions (preferred first)."""
    document = await reader.get_json(APIS_PATH, limit=DISCOVERY_BODY_LIMIT)
    found = []
    for group in document.get("groups") or ():
        name = group.get("name") if isinstance(group, dict) else None
        if not isinstance(name, str):
            continue
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        listed = [v.get("groupVersion") for v in group.get("versions") or () if isinstance(v, dict)]
        versions = [gv for gv in dict.fromkeys([preferred, *listed]) if isinstance(gv, str)]
        versions = [gv for gv in versions if "/" in gv]
        found.append(ApiGroup(name, tuple(versions)))
    return tuple(found)


def served_group_versions(groups: tuple[ApiGroup, ...]) -> frozenset[str]:
    """``group/version`` of every version served (``v1`` for the core group)."""
    return frozenset({"v1", *(gv for group in groups for gv in group.versions)})


async def resources_by_plural(
    reader: Reader, group_versions: list[str], skip: Callable[[str, str], None] | None = None
) -> dict[str, list[str]]:
    """Plural -> the group/versions serving it, in the order given. A resource list that
    cannot be read is passed to ``skip`` (group/version, reason) and left out."""
    from scanner.kube.errors import FetchError

    served: dict[str, list[str]] = {}
    for group_version in group_versions:
        try:
            document = await reader.get_json(
                group_version_path(group_version), limit=DISCOVERY_BODY_LIMIT
            )
        except FetchError as exc:
            if skip is not None:
                skip(group_version, exc.message)
            continue
        for resource in document.get("resources") or ():
            plural = resource.get("name") if isinstance(resource, dict) else None
            if isinstance(plural, str) and "/" not in plural:  # not a subresource
                served.setdefault(plural, []).append(group_version)
    return served
