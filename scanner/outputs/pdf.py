"""The PDF report: the HTML report printed by headless Chromium.

Why Chromium (measured in ``make bench`` and the README): the PDF is the HTML report as a
browser prints it, so it is exactly what a change manager gets from "Print" in their
browser (same engine, same print stylesheet, no second layout to keep in step), and the
container image needs one package. Chromium is looked up at run time: ``$UPGRADE_SCANNER_
CHROMIUM``, then ``chromium``, ``chromium-browser``, ``google-chrome`` on ``PATH``. Without
it ``--pdf`` is an input error that names what to install (the other formats are written
first), and ``--output-dir`` simply writes no PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from scanner.errors import PdfError

BROWSER_ENV = "UPGRADE_SCANNER_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT = 180.0  # seconds for one report, a 1,000-cluster one included
INSTALL_HINT = (
    "--pdf needs headless Chromium to print the HTML report: install it (Debian/Ubuntu: "
    f"apt-get install chromium) or set {BROWSER_ENV} to its path; the other reports were written"
)


def find_browser() -> str | None:
    configured = os.environ.get(BROWSER_ENV)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, browser: str, timeout: float = PRINT_TIMEOUT) -> bytes:
    """Print ``html`` (a self-contained page) to PDF with headless Chromium: the printer's
    default paper (the print stylesheet fits A4 and Letter), no header or footer lines."""
    with tempfile.TemporaryDirectory(prefix="upgrade-scanner-pdf-") as tmp:
        page = os.path.join(tmp, "report.html")
        out = os.path.join(tmp, "report.pdf")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(html)
        argv = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={os.path.join(tmp, 'profile')}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={out}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        argv.append("file://" + page)
        try:
            subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"{browser} did not print the report within {timeout:g}s") from None
        except OSError as exc:
            raise PdfError(f"{browser} cannot be run ({exc.strerror or exc})") from None
        try:
            with open(out, "rb") as handle:
                data = handle.read()
        except OSError:
            data = b""
        if not data.startswith(b"%PDF"):
            raise PdfError(f"{browser} printed no PDF; check that it runs headless here")
        return data
