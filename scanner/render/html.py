"""One self-contained HTML file: inline CSS, inline SVG chart, an optional inline script.

It must work offline and as a ticket attachment, so nothing is fetched: a Content Security
Policy forbids every external resource and allows only the bundled script, by its hash.
"""

from __future__ import annotations

import base64
import hashlib

from markupsafe import Markup

from scanner.render.base import RenderOptions
from scanner.render.jinja import environment, render_template, static_asset
from scanner.report import Report

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
SCRIPT = "report.js"


def render(report: Report, options: RenderOptions) -> str:
    env = environment(options)
    script = static_asset(env, SCRIPT)
    return render_template(
        env,
        TEMPLATE,
        report,
        # Bundled (or the user's own) assets: trusted text, inlined as they are.
        stylesheet=Markup(static_asset(env, STYLESHEET)),
        script=Markup(script),
        script_hash=csp_hash(script),
    )


def csp_hash(script: str) -> str:
    """The CSP source expression that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
