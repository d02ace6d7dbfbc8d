"""Writing a finished report: the files and streams asked for, then the terminal summary.

Each format is rendered once, however many destinations ask for it. Files come first (so
the summary can point at them); a machine format written to stdout owns stdout, so the
table is then left out to keep it parseable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TextIO

import click

from scanner.cli.requests import Outputs, Ui
from scanner.formats import FILE_FORMATS, PDF_EXTENSION
from scanner.outputs.files import Content, emit, write_atomic
from scanner.render import RenderOptions, render, write
from scanner.render.table import render_verdict_line
from scanner.report import Report
from scanner.secrets import terminal_safe

log = logging.getLogger(__name__)


def write_reports(report: Report, outputs: Outputs, ui: Ui, *, summary: str = "table") -> list[str]:
    """Write every file and stream asked for; return the report files written (to attach).

    Named files first, each atomically. The PDF is printed before anything of the output
    directory is touched, and the directory gets the whole run at once (every format, then
    ``latest.*`` switched together: :mod:`scanner.outputs.publish`). Without a browser
    ``--pdf`` is an input error raised after every other report is on disk;
    ``--output-dir`` then just has no PDF."""
    from scanner.outputs.pdf import PdfError

    text_of = renderings(report, outputs.template_dir)
    stdout_taken = write_formats(text_of, outputs)
    failure: PdfError | None = None
    try:
        pdf = print_pdf(text_of, outputs, len(report.clusters))
    except PdfError as exc:  # the other reports are still written; then it is the error
        pdf, failure = None, exc
    written = (
        write_output_dir(report, text_of, outputs.output_dir, pdf, outputs.keep)
        if outputs.output_dir
        else []
    )
    pdfs = [p for p in written if p.endswith(f".{PDF_EXTENSION}")]
    if outputs.pdf:
        if pdf is None:
            from scanner.outputs.pdf import INSTALL_HINT

            raise failure or PdfError(INSTALL_HINT)  # every other report is on disk by now
        write_atomic(outputs.pdf, pdf)
        pdfs.insert(0, outputs.pdf)
    if failure is not None:
        raise failure
    written = [p for p in written if p not in pdfs]
    files = [*outputs.named_files, *written, *pdfs]
    if stdout_taken:
        return files  # a machine format owns stdout; keep it parseable
    if ui.quiet:
        click.echo(render_verdict_line(report, ui.render_options()))
        return files
    if summary == "roadmap" and report.roadmap is not None:
        from scanner.render.roadmap_text import render_roadmap

        emit("-", terminal_safe(render_roadmap(report.roadmap)))
        click.echo(render_verdict_line(report, ui.render_options()))
    else:
        emit("-", render("table", report, ui.render_options()))
    for path in [*written, *(p for p in pdfs if p != outputs.pdf)]:
        click.echo(f"wrote {terminal_safe(path)}")
    return files


def renderings(report: Report, template_dir: str | None) -> Renderings:
    """Each format's content: its text, rendered once however many files ask for it; the
    JSON as a writer that streams it (never one string: 50,000 clusters are 100 MB)."""
    return Renderings(report, RenderOptions(template_dir=template_dir))


class Renderings:
    """``renderings(fmt)``: a format's content, rendered once however many named files ask
    for it; the JSON as a writer that streams it (never one string: 50,000 clusters are
    100 MB of JSON). :meth:`lazy` renders a format only when its file is written and keeps
    nothing: an output directory then holds one format's text at a time."""

    def __init__(self, report: Report, options: RenderOptions) -> None:
        self.report, self.options = report, options
        self._texts: dict[str, str] = {}

    def __call__(self, fmt: str) -> Content:
        if fmt == "json":
            return self.report.write_json
        if fmt not in self._texts:
            self._texts[fmt] = render(fmt, self.report, self.options)
        return self._texts[fmt]

    def lazy(self, fmt: str) -> Content:
        if fmt == "json" or fmt in self._texts:
            return self(fmt)

        def stream(handle: TextIO) -> None:
            write(fmt, self.report, self.options, handle)

        return stream


def write_formats(text_of: Callable[[str], Content], outputs: Outputs) -> bool:
    """The ``--FORMAT FILE`` outputs, in flag order; whether one of them was stdout."""
    stdout_taken = False
    for fmt in FILE_FORMATS:
        path = outputs.files.get(fmt.name)
        if path:
            emit(path, text_of(fmt.name))
            stdout_taken = stdout_taken or path == "-"
    return stdout_taken


PDF_CLUSTERS = 2_000  # an --output-dir run prints its PDF up to this many clusters


def print_pdf(
    text_of: Callable[[str], Content], outputs: Outputs, clusters: int = 0
) -> bytes | None:
    """The HTML report printed by headless Chromium, when a PDF is wanted and it is found
    (None without a browser: the caller says so once the other reports are written). An
    ``--output-dir`` run of more than ``PDF_CLUSTERS`` clusters prints none unless ``--pdf``
    asks: Chromium needs minutes for such a page, and every other format holds it all."""
    from scanner.outputs.pdf import find_browser, html_to_pdf

    if not outputs.pdf and not outputs.output_dir:
        return None
    if not outputs.pdf and clusters > PDF_CLUSTERS:
        log.warning(
            "no PDF in %s: %d clusters are more than %d (ask with --pdf FILE)",
            outputs.output_dir,
            clusters,
            PDF_CLUSTERS,
        )
        return None
    browser = find_browser()
    if browser is None:
        log.info("no PDF: headless Chromium not found")
        return None
    html = text_of("html")
    assert isinstance(html, str)
    return html_to_pdf(html, browser)


def write_output_dir(
    report: Report, text_of: Renderings, directory: str, pdf: bytes | None, keep: int
) -> list[str]:
    """Every format of the run (and its PDF, when printed), with the roadmap's history, as
    one set, or none."""
    from scanner.outputs.history import PROGRESS_NAME, progress_text
    from scanner.outputs.publish import publish_run

    contents: dict[str, Content] = {}
    for fmt in FILE_FORMATS:
        assert fmt.extension is not None
        contents[fmt.extension] = text_of.lazy(fmt.name)
    if pdf is not None:
        contents[PDF_EXTENSION] = pdf
    progress = progress_text(directory, report, keep)
    state = {PROGRESS_NAME: progress} if progress is not None else None
    return publish_run(directory, report.target, report.generated_at, contents, state)
