"""The Jinja environment of the text reports.

Templates are read with :mod:`importlib.resources` from the package ``scanner.templates``, so
they are found in an installed wheel exactly as in a checkout. A user template directory
(``RenderOptions.template_dir``, e.g. company branding) is searched first; any template it
lacks falls back to the built-in one. Undefined names fail loudly (``StrictUndefined``).

HTML templates are autoescaped. Markdown templates are not (HTML escaping is wrong for
Markdown); instead every value must go through the ``md`` filter, and the environment refuses
to emit any other text, so a template cannot forget to escape a value. What the templates
are given is the view model, :mod:`scanner.render.view`.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any, TextIO

import jinja2
from jinja2.loaders import split_template_path
from markupsafe import Markup

from scanner.render import view
from scanner.render.base import RenderOptions, clip, clip_list, printable
from scanner.report import Report

TEMPLATE_PACKAGE = "scanner.templates"
CELL_LIMIT = 500  # characters of one Markdown table cell

_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "`": "\\`",
        "*": "\\*",
        "[": "\\[",
        "]": "\\]",
        "&": "&amp;",
        "<": "&lt;",  # only "<" opens a tag; ">" stays readable ("1.30 -> 1.31")
    }
)


class ResourceLoader(jinja2.BaseLoader):
    """Templates from a package's resources: works from a wheel, a zip or a checkout."""

    def __init__(self, package: str) -> None:
        self.package = package

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Any]:
        node = resources.files(self.package)
        # split_template_path rejects ".." so a template name cannot leave the package.
        for part in split_template_path(template):
            node = node.joinpath(part)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        return node.read_text(encoding="utf-8"), None, lambda: True


class Escaped(str):
    """Text escaped for Markdown: the only text a Markdown template may emit."""


def md(value: object) -> Escaped:
    """Escape a value for a GFM paragraph or table cell; line breaks become ``<br>``."""
    lines = printable(value).splitlines()
    return Escaped("<br>".join(line.strip().translate(_MD_ESCAPES) for line in lines))


def cell(value: object) -> Escaped:
    """:func:`md` for a table cell: a value longer than ``CELL_LIMIT`` characters is cut with
    an ellipsis, so one hostile or broken value (a 100 KB gitVersion) cannot make the table
    unreadable. The JSON report keeps every value whole."""
    return md(clip(printable(value), CELL_LIMIT))


def _only_escaped(value: object) -> object:
    # Numbers are safe as they are; any other text reaching the output missed |md.
    if isinstance(value, Escaped | int | float):
        return value
    raise jinja2.TemplateError(
        f"unescaped value {str(value)[:60]!r} in a Markdown template: write it as {{{{ x|md }}}}"
    )


def _printable_html(value: object) -> object:
    # Markup (the inlined stylesheet and script) is trusted as it is; text from clusters loses
    # control characters, which HTML cannot show either. Autoescaping happens after this.
    return printable(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def environment(options: RenderOptions, *, markdown: bool = False) -> jinja2.Environment:
    """The environment for HTML (autoescaped) or Markdown (``md`` filter enforced)."""
    loaders: list[jinja2.BaseLoader] = []
    if options.template_dir:
        loaders.append(jinja2.FileSystemLoader(options.template_dir))
    loaders.append(ResourceLoader(TEMPLATE_PACKAGE))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=not markdown,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_only_escaped if markdown else _printable_html,
    )
    env.filters.update(
        md=md,
        cell=cell,
        version_text=view.version_text,
        kind_text=view.kind_text,
        nodes_text=view.nodes_text,
        kubelet_spread=view.kubelet_spread,
        kubelet_detail=view.kubelet_detail,
        current_minor=view.current_minor,
        error_hint=view.error_hint,
        breakable=breakable,
        names=lambda text: clip_list(str(text), NOTE_LIMIT),
    )
    return env


NOTE_LIMIT = 2000  # characters of a note in Markdown and HTML; the JSON keeps every name


_BREAK_AFTER = re.compile(r"([/.:\-+_?&=@])")


def breakable(value: object) -> Markup:
    """``value`` escaped, with a line-break opportunity (``<wbr>``) after URL separators and
    version dots and dashes, so a long server URL or vendor version wraps at a sensible
    point in a narrow (printed) column, never in the middle of a number, and a short one
    stays whole."""
    text = str(Markup.escape(printable(str(value))))
    # Escaping produced entities (&amp; &lt; ...): do not break inside them.
    parts = re.split(r"(&[a-z]+;|&#\d+;)", text)
    return Markup(
        "".join(
            part
            if part.startswith("&") and part.endswith(";")
            else _BREAK_AFTER.sub(r"\1<wbr>", part)
            for part in parts
        )
    )


def static_asset(env: jinja2.Environment, name: str) -> str:
    """A CSS or JS file as it is (not rendered), from the same search path as templates."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source


def render_template(env: jinja2.Environment, name: str, report: Report, **extra: Any) -> str:
    """Render one template with the report context (plus ``extra`` variables)."""
    return env.get_template(name).render({**view.build_context(report), **extra})


def write_template(
    env: jinja2.Environment, name: str, report: Report, handle: TextIO, **extra: Any
) -> None:
    """:func:`render_template`, written to ``handle`` as the template produces it."""
    context = {**view.build_context(report), **extra}
    for chunk in env.get_template(name).generate(context):
        handle.write(chunk)
