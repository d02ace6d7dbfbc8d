"""Output formats: one module per format behind one interface.

A renderer turns a :class:`~scanner.report.Report` into text; the CLI owns files and streams.
The interface is :mod:`scanner.render.base`, which every format imports (never this face).
The formats are the table in :mod:`scanner.formats`; ``RENDERERS`` maps each name to its
renderer, importing a format's module only when it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TextIO

from scanner.formats import FILE_FORMATS, FORMATS, Format
from scanner.render.base import Renderer, RenderOptions
from scanner.report import Report

__all__ = [
    "FILE_EXTENSIONS",
    "FILE_FORMATS",
    "FORMATS",
    "RENDERERS",
    "Format",
    "RenderOptions",
    "Renderer",
    "render",
    "write",
]


def _lazy(module: str) -> Renderer:
    def renderer(report: Report, options: RenderOptions) -> str:
        function: Callable[[Report, RenderOptions], str] = importlib.import_module(module).render
        return function(report, options)

    return renderer


RENDERERS: dict[str, Renderer] = {f.name: _lazy(f.module) for f in FORMATS}
FILE_EXTENSIONS: dict[str, str] = {f.name: f.extension for f in FILE_FORMATS if f.extension}


def render(name: str, report: Report, options: RenderOptions | None = None) -> str:
    return RENDERERS[name](report, options or RenderOptions())


def write(name: str, report: Report, options: RenderOptions, handle: TextIO) -> None:
    """Write a format to ``handle`` piece by piece where its module can (``write``: the
    templates and JSON), else its whole text: a large fleet's report is then never one
    string in memory."""
    fmt = next(f for f in FORMATS if f.name == name)
    module = importlib.import_module(fmt.module)
    writer = getattr(module, "write", None)
    if writer is not None:
        writer(report, options, handle)
    else:
        handle.write(module.render(report, options))
