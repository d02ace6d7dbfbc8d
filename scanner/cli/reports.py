"""``upgrade-scanner report`` (re-render offline) and ``diff`` (compare two runs)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from scanner.cli.options import output_options
from scanner.errors import ReportError
from scanner.exitcodes import ExitCode

if TYPE_CHECKING:
    from scanner.report import Report


@click.command()
@click.argument("report_path", metavar="REPORT.json")
@output_options
def report(report_path: str, **opts: Any) -> int:
    """Re-render a saved JSON report offline (no cluster access)."""
    from scanner.cli.emit import print_pdf, renderings, write_formats
    from scanner.cli.requests import report_outputs
    from scanner.outputs.files import write_atomic

    loaded = load_report(report_path)
    outputs = report_outputs(opts)
    if outputs.redact:
        from scanner.outputs.redact import redact

        shown = redact(loaded)
    else:
        shown = loaded
    text_of = renderings(shown, outputs.template_dir)
    write_formats(text_of, outputs)
    pdf = print_pdf(text_of, outputs)
    if outputs.pdf:
        if pdf is None:
            from scanner.outputs.pdf import INSTALL_HINT, PdfError

            raise PdfError(INSTALL_HINT)
        write_atomic(outputs.pdf, pdf)
    return int(ExitCode.READY)


@click.command()
@click.argument("old_path", metavar="OLD.json")
@click.argument("new_path", metavar="NEW.json")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def diff(old_path: str, new_path: str, as_json: bool) -> int:
    """Compare two reports (exit 1 when a cluster became BLOCKED or UNKNOWN)."""
    from scanner.render.table import render_changes
    from scanner.rules.changes import compare, regressed

    changes = compare(load_report(old_path), load_report(new_path))
    if as_json:
        click.echo(json.dumps(changes.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_changes(changes), nl=False)
    return int(ExitCode.NOT_READY if regressed(changes) else ExitCode.READY)


def load_report(path: str) -> Report:
    """A saved JSON report, read like every input file: bounded, a FIFO without a writer
    or ``/dev/zero`` never hangs or grows the process (:func:`read_input`)."""
    from scanner.inputs.yamlfile import read_input
    from scanner.report import Report

    def fail(problem: str, how: str = "pass a JSON report upgrade-scanner wrote") -> ReportError:
        return ReportError(f"{path}: {problem}; {how}")

    data = read_input(path, fail)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail("not UTF-8 text") from None
    return Report.from_json(text, where=path)
