"""The one table of report formats: each format's name, the file extension ``--output-dir``
gives it (None: the terminal only, no file), the flag that writes it (``--NAME FILE``) and
the module that renders it (imported only when it is used). The command line, the renderer
registry and the output directory all read this table; nothing here imports a stage, so the
command line can build its flags from it without slowing ``--help``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str
    extension: str | None
    module: str  # has render(report, options) -> str

    @property
    def flag(self) -> str | None:
        return f"--{self.name}" if self.extension else None


FORMATS: tuple[Format, ...] = (
    Format("json", "json", "scanner.render.json"),
    Format("markdown", "md", "scanner.render.markdown"),
    Format("html", "html", "scanner.render.html"),
    Format("junit", "xml", "scanner.render.junit"),
    Format("table", None, "scanner.render.table"),
)
FILE_FORMATS: tuple[Format, ...] = tuple(f for f in FORMATS if f.extension)
PDF_EXTENSION = "pdf"  # the HTML report printed by headless Chromium (--pdf, --output-dir)
