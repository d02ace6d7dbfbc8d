"""The reports render from an installed wheel, not only from a checkout.

Templates are package data of ``scanner.templates`` (the top-level ``templates/`` folder):
this catches a template missing from ``package_data`` or a loader that reads source paths.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.render.dataset import canonical_report

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("scanner", "templates", "setup.cfg", "pyproject.toml", "README.md", "LICENSE")
RENDER = """
import sys
from pathlib import Path
import scanner
from scanner.render import FILE_EXTENSIONS, RenderOptions, render
from scanner.report import Report

assert Path(scanner.__file__).is_relative_to(Path(sys.prefix)), scanner.__file__
report = Report.from_json(Path("report.json").read_text(encoding="utf-8"))
for name, extension in FILE_EXTENSIONS.items():
    Path(f"out.{extension}").write_text(render(name, report, RenderOptions()), encoding="utf-8")
print(scanner.__file__)
"""


def build_wheel(tmp_path: Path) -> Path:
    # Build from a copy: pip builds in place, and the checkout is shared with other work.
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.is_file():
            shutil.copy2(path, source / name)
    if not (source / "README.md").exists():
        (source / "README.md").write_text("upgrade-scanner\n")  # long_description needs one
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), "."],
        cwd=source,
        check=True,
        timeout=600,
    )
    (wheel,) = dist.glob("upgrade_scanner-*.whl")
    return wheel


def make_venv(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        timeout=300,
    )
    # Dependencies (jinja2, PyYAML, ...) come from this environment's site-packages, appended
    # after the wheel's: a path in a .pth file is not a site dir, so the checkout's editable
    # install hook there is not run and `scanner` can only come from the wheel.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "dev-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_reports_render_from_the_installed_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for template in ("report.md.j2", "report.html.j2", "report.css", "report.js"):
        assert f"scanner/templates/{template}" in names

    python = make_venv(tmp_path, wheel)
    work = tmp_path / "work"
    work.mkdir()
    (work / "report.json").write_text(canonical_report().to_json(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run(
        [str(python), "-c", RENDER],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "venv") in result.stdout
    assert "NOT READY" in (work / "out.html").read_text(encoding="utf-8")
    assert "## Run metadata" in (work / "out.md").read_text(encoding="utf-8")
    assert "<testsuites" in (work / "out.xml").read_text(encoding="utf-8")
