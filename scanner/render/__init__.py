"""Output formats: one module per format behind one interface.

A renderer turns a :class:`~scanner.report.Report` into text; the CLI owns files and streams.
The interface is :mod:`scanner.render.base`, which every format imports (never this face).
``RENDERERS`` maps a format name to its renderer, importing each format only when it is
used; ``FILE_EXTENSIONS`` gives the extension used by ``--output-dir``.
"""

from __future__ import annotations

from scanner.render.base import Renderer, RenderOptions
from scanner.report import Report

__all__ = ["FILE_EXTENSIONS", "RENDERERS", "RenderOptions", "Renderer", "render"]


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
