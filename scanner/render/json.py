"""JSON: the report model's own form (:meth:`~scanner.report.Report.to_json`)."""

from __future__ import annotations

from scanner.render.base import RenderOptions
from scanner.report import Report


def render(report: Report, options: RenderOptions) -> str:
    return report.to_json()
