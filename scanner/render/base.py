"""The one interface every output format implements, and text helpers they share.

A renderer is a function ``(Report, RenderOptions) -> str``: it returns text and never
touches a file or a stream (the CLI owns those). Formats import this module only, never the
package face that registers them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from scanner.report import Report
from scanner.secrets import terminal_safe


@dataclass(frozen=True)
class RenderOptions:
    """How to render: the user's template directory (tried first), colour for terminals, and
    the terminal's width for the summary table (None: every column, however wide)."""

    template_dir: str | None = None
    color: bool = False
    width: int | None = None


Renderer = Callable[[Report, RenderOptions], str]

# C0/C1 control characters (ANSI colour codes from a server, NUL, ...), lone surrogates and
# non-characters are not text a report should carry, and XML 1.0 cannot carry them at all.
# Tabs and line breaks are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# (label, attribute of scanner.report.Changes) in the order the reports list them.
CHANGE_LABELS = (
    ("New blocker", "new_blockers"),
    ("Resolved", "resolved"),
    ("Status", "status_changes"),
    ("Version", "version_changes"),
    ("Roadmap", "roadmap_changes"),
)


def printable(value: object) -> str:
    """``value`` as text without control characters (line breaks kept)."""
    return _CONTROL.sub("", str(value))


_ANSI = {"green": 32, "yellow": 33, "red": 31, "magenta": 35}


def style(text: str, fg: str, bold: bool = False) -> str:
    """``text`` in a terminal colour (the CLI decides whether colour is wanted)."""
    return f"\x1b[{_ANSI[fg]}m" + ("\x1b[1m" if bold else "") + text + "\x1b[0m"


def terminal_text(text: str) -> str:
    """A one-line terminal cell: text from clusters and kubeconfigs is data, and every
    character that is not printable, line breaks included, becomes ``?``."""
    return terminal_safe(text, keep_lines=False)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the last one an ellipsis when it was longer."""
    return text if len(text) <= width else text[: width - 1] + "\u2026"


LINE_LIMIT = 400  # characters of one terminal note or platform line


def clip_list(text: str, width: int = LINE_LIMIT) -> str:
    """A line that ends in a comma-separated list (a note naming clusters), cut to about
    ``width`` characters at a comma, with how many names were left out: the JSON report
    keeps every name."""
    if len(text) <= width:
        return text
    cut = text.rfind(", ", 0, width)
    if cut < 0:
        return clip(text, width)
    rest = text[cut + 2 :]
    return f"{text[:cut]} … and {rest.count(', ') + 1} more (every name is in the JSON report)"
