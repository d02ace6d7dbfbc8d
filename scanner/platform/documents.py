"""Reading the global cluster's API documents leniently: every value is checked for its
type, text is folded to one line and clipped, and a missing part is an empty one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.kube.reader import dig

TEXT_LIMIT = 500  # characters kept of any text a cluster API gives us

__all__ = ["TEXT_LIMIT", "clip", "dig", "items", "listed", "name_of", "text"]


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
