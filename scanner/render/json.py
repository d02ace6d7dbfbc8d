"""JSON: the report model's own form (:meth:`~scanner.report.Report.to_json`)."""

from __future__ import annotations

from typing import TextIO

from scanner.render.base import RenderOptions
from scanner.report import Report


def render(report: Report, options: RenderOptions) -> str:
    return report.to_json()


def write(report: Report, options: RenderOptions, handle: TextIO) -> None:
    report.write_json(handle)
