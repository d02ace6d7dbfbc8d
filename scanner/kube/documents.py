"""Reading API documents leniently (the platform's records, a cluster's own objects): every
value is checked for its type, text is folded to one line and clipped, and a missing part
is an empty one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.kube.reader import dig
from scanner.model import Condition

TEXT_LIMIT = 500  # characters kept of any text a cluster API gives us

__all__ = [
    "CONDITION_LIMIT",
    "TEXT_LIMIT",
    "clip",
    "conditions_of",
    "dig",
    "items",
    "listed",
    "name_of",
    "text",
]


def items(answer: Any) -> list[Mapping[str, Any]]:
    """The objects of a list answer (anything else: none)."""
    return [item for item in answer if isinstance(item, dict)] if isinstance(answer, list) else []


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """A string value on one line, clipped; anything else is ""."""
    return clip(value) if isinstance(value, str) else ""


def clip(value: Any) -> str:
    folded = " ".join(str(value).split())
    return folded if len(folded) <= TEXT_LIMIT else folded[: TEXT_LIMIT - 1] + "…"


def name_of(document: Any) -> str:
    return text(dig(document, "metadata").get("name"))


CONDITION_LIMIT = 200  # conditions kept of one object


def conditions_of(value: Any) -> tuple[Condition, ...]:
    """A ``status.conditions`` list as conditions (the ones with a type)."""
    return tuple(
        Condition(
            type=text(c.get("type")),
            status=text(c.get("status")),
            reason=text(c.get("reason")),
            message=text(c.get("message")),
        )
        for c in listed(value)[:CONDITION_LIMIT]
        if isinstance(c, dict) and text(c.get("type"))
    )
