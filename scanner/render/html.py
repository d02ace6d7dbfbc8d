"""One self-contained HTML file: inline CSS, inline SVG chart, an optional inline script.

It must work offline and as a ticket attachment, so nothing is fetched: a Content Security
Policy forbids every external resource and allows only the bundled script, by its hash.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, TextIO

from jinja2 import Environment
from markupsafe import Markup

from scanner.render.base import RenderOptions
from scanner.render.jinja import environment, render_template, static_asset, write_template
from scanner.report import Report

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
SCRIPT = "report.js"


def render(report: Report, options: RenderOptions) -> str:
    env = environment(options)
    return render_template(env, TEMPLATE, report, **_assets(env))


def write(report: Report, options: RenderOptions, handle: TextIO) -> None:
    env = environment(options)
    write_template(env, TEMPLATE, report, handle, **_assets(env))


def _assets(env: Environment) -> dict[str, Any]:
    """Bundled (or the user's own) assets: trusted text, inlined as they are."""
    script = static_asset(env, SCRIPT)
    return {
        "stylesheet": Markup(static_asset(env, STYLESHEET)),
        "script": Markup(script),
        "script_hash": csp_hash(script),
    }


def csp_hash(script: str) -> str:
    """The CSP source expression that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
