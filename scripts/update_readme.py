"""Refresh the generated blocks of README.md: the real --help texts and the policy matrix.

Run with `make readme`. Each block sits between `<!-- NAME:start -->` and `<!-- NAME:end -->`;
everything else in the README is written by hand. tests/test_cli.py fails when a block is
out of date.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

from scanner.cli import run

README = Path(__file__).resolve().parent.parent / "README.md"
COMMANDS = (
    [],
    ["scan"],
    ["roadmap"],
    ["plan"],
    ["report"],
    ["diff"],
    ["attach"],
    ["onboarding"],
    ["policy"],
    ["contexts"],
)


def captured(args: list[str]) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        run(args)
    return buffer.getvalue()


def blocks() -> dict[str, str]:
    sections = []
    for command in COMMANDS:
        args = [*command, "--help"]
        sections.append(f"```\n$ upgrade-scanner {' '.join(args)}\n{captured(args)}```\n")
    help_text = "\n".join(sections)
    policy = f"```\n$ upgrade-scanner policy\n{captured(['policy'])}```\n"
    return {"help": help_text, "policy": policy}


def main() -> int:
    text = README.read_text(encoding="utf-8")
    for name, body in blocks().items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            print(f"README.md has no {name} block", file=sys.stderr)
            return 1
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    README.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
