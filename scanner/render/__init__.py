"""Output formats: one module per format behind one interface.

A renderer turns a :class:`~scanner.report.Report` into text; the CLI owns files and streams.
``RENDERERS`` maps a format name to its renderer; ``FILE_EXTENSIONS`` gives the extension used
by ``--output-dir``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scanner.report import Report


@dataclass(frozen=True)
class RenderOptions:
    """How to render: the user's template directory (tried first), colour for terminals."""

    template_dir: str | None = None
    color: bool = False


Renderer = Callable[[Report, RenderOptions], str]


def _json(report: Report, options: RenderOptions) -> str:
    return report.to_json()


def _table(report: Report, options: RenderOptions) -> str:
    from scanner.render.table import render

    return render(report, options)


def _markdown(report: Report, options: RenderOptions) -> str:
    from scanner.render.markdown import render

    return render(report, options)


def _html(report: Report, options: RenderOptions) -> str:
    from scanner.render.html import render

    return render(report, options)


def _junit(report: Report, options: RenderOptions) -> str:
    from scanner.render.junit import render

    return render(report, options)


RENDERERS: dict[str, Renderer] = {
    "json": _json,
    "table": _table,
    "markdown": _markdown,
    "html": _html,
    "junit": _junit,
}

FILE_EXTENSIONS: dict[str, str] = {
    "json": "json",
    "markdown": "md",
    "html": "html",
    "junit": "xml",
}


def render(name: str, report: Report, options: RenderOptions | None = None) -> str:
    return RENDERERS[name](report, options or RenderOptions())
