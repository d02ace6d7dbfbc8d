"""Writing a finished report: the files and streams asked for, then the terminal summary.

Each format is rendered once, however many destinations ask for it. Files come first (so
the summary can point at them); a machine format written to stdout owns stdout, so the
table is then left out to keep it parseable.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import click

from scanner.cli.requests import Outputs, Ui
from scanner.formats import FILE_FORMATS, PDF_EXTENSION
from scanner.outputs.files import emit, write_atomic
from scanner.outputs.history import latest_file, run_file
from scanner.render import RenderOptions, render
from scanner.render.table import render_verdict_line
from scanner.report import Report
from scanner.secrets import terminal_safe

log = logging.getLogger(__name__)


def write_reports(report: Report, outputs: Outputs, ui: Ui) -> list[str]:
    """Write every file and stream asked for; return the report files written (to attach).

    The PDF comes last: without a browser ``--pdf`` is an input error raised after every
    other report is on disk; ``--output-dir`` then just has no PDF."""
    text_of = renderings(report, outputs.template_dir)
    stdout_taken = write_formats(text_of, outputs)
    written = write_output_dir(report, text_of, outputs.output_dir) if outputs.output_dir else []
    pdfs = write_pdfs(report, text_of, outputs)
    files = [*outputs.named_files, *written, *pdfs]
    if stdout_taken:
        return files  # a machine format owns stdout; keep it parseable
    if ui.quiet:
        click.echo(render_verdict_line(report, RenderOptions(color=ui.color)))
        return files
    emit("-", render("table", report, RenderOptions(color=ui.color)))
    for path in [*written, *(p for p in pdfs if p != outputs.pdf)]:
        click.echo(f"wrote {terminal_safe(path)}")
    return files


def renderings(report: Report, template_dir: str | None) -> Callable[[str], str]:
    """Each format's text, rendered once however many files ask for it."""
    options = RenderOptions(template_dir=template_dir)

    @functools.cache
    def text_of(fmt: str) -> str:
        return render(fmt, report, options)

    return text_of


def write_formats(text_of: Callable[[str], str], outputs: Outputs) -> bool:
    """The ``--FORMAT FILE`` outputs, in flag order; whether one of them was stdout."""
    stdout_taken = False
    for fmt in FILE_FORMATS:
        path = outputs.files.get(fmt.name)
        if path:
            emit(path, text_of(fmt.name))
            stdout_taken = stdout_taken or path == "-"
    return stdout_taken


def write_pdfs(report: Report, text_of: Callable[[str], str], outputs: Outputs) -> list[str]:
    from scanner.outputs.pdf import INSTALL_HINT, PdfError, find_browser, html_to_pdf

    if not outputs.pdf and not outputs.output_dir:
        return []
    browser = find_browser()
    if browser is None:
        if outputs.pdf:
            raise PdfError(INSTALL_HINT)
        log.info("no PDF in %s: headless Chromium not found", outputs.output_dir)
        return []
    pdf = html_to_pdf(text_of("html"), browser)
    paths = [outputs.pdf] if outputs.pdf else []
    if outputs.output_dir:
        directory = outputs.output_dir
        paths.append(run_file(directory, report.target, report.generated_at, PDF_EXTENSION))
        write_atomic(latest_file(directory, PDF_EXTENSION), pdf)
    for path in paths:
        write_atomic(path, pdf)
    return paths


def write_output_dir(report: Report, text_of: Callable[[str], str], directory: str) -> list[str]:
    written = []
    for fmt in FILE_FORMATS:
        assert fmt.extension is not None
        path = run_file(directory, report.target, report.generated_at, fmt.extension)
        write_atomic(path, text_of(fmt.name))
        write_atomic(latest_file(directory, fmt.extension), text_of(fmt.name))
        written.append(path)
    return written
