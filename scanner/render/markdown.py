"""GitHub-flavoured Markdown: pastes into Jira, GitLab, GitHub and ServiceNow, reads as text.

Layout lives in ``report.md.j2``; escaping is the ``md`` filter of
:mod:`scanner.render.jinja`, which the Markdown environment enforces on every value.
"""

from __future__ import annotations

from typing import TextIO

from scanner.render.base import RenderOptions
from scanner.render.jinja import environment, render_template, write_template
from scanner.report import Report

TEMPLATE = "report.md.j2"


def render(report: Report, options: RenderOptions) -> str:
    env = environment(options, markdown=True)
    return render_template(env, TEMPLATE, report)


def write(report: Report, options: RenderOptions, handle: TextIO) -> None:
    write_template(environment(options, markdown=True), TEMPLATE, report, handle)
