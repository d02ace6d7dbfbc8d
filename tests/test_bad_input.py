"""The bad input corpus (``fixtures/bad/``): every broken file is exit 2 and one exact line.

Each case runs the real CLI in-process on one broken kubeconfig, policy or inventory and
checks the whole of stderr. ``fixtures/bad/MESSAGES.md`` lists every message; it is generated
from ``CASES`` (``UPDATE_MESSAGES=1 pytest tests/test_bad_input.py``) and a test keeps it
current. Inputs too big or too odd to commit (20 MB, deep nesting, a directory) are written
into ``tmp_path`` by the case itself.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
BAD = ROOT / "fixtures" / "bad"
MESSAGES = BAD / "MESSAGES.md"
GOOD_KUBECONFIG = ROOT / "fixtures" / "kubeconfig" / "fleet.yaml"
PREFIX = "upgrade-scanner: error: "

# Every file is tried with a scan and with the offline command that reads the same file.
COMMANDS = {
    "kubeconfig": (
        ("scan", "--target", "4.3", "--kubeconfig", "{path}"),
        ("contexts", "--kubeconfig", "{path}"),
    ),
    "policy": (
        ("scan", "--target", "4.3", "--policy", "{path}", "--kubeconfig", "{good}"),
        ("policy", "--policy", "{path}"),
    ),
    "inventory": (
        ("scan", "--target", "4.3", "--inventory", "{path}", "--kubeconfig", "{good}"),
        ("contexts", "--inventory", "{path}", "--kubeconfig", "{good}"),
    ),
}


def write_65_mb(path: Path) -> None:
    line = b"# padding: a kubeconfig this big is almost certainly the wrong file\n"
    path.write_bytes(line * (65 * 2**20 // len(line) + 1))


def write_deep_nesting(path: Path) -> None:
    path.write_text("- " * 100_000 + "x\n")  # 200 kB, 100,000 nested block lists


def make_directory(path: Path) -> None:
    path.mkdir()


@dataclass(frozen=True)
class Case:
    kind: str  # kubeconfig, policy or inventory: which option the file is passed to
    name: str  # the file under fixtures/bad/<kind>/, or the generated file's name
    message: str  # stderr after PREFIX; {path} is the file as passed
    make: Callable[[Path], None] | None = None  # writes a generated input
    about: str = ""  # what a generated input is, for MESSAGES.md
    isolate: bool = False  # run in a subprocess: deep nesting once killed the interpreter

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"

    def input_path(self, tmp_path: Path) -> Path:
        if self.make is None:
            return BAD / self.kind / self.name
        path = tmp_path / self.name
        self.make(path)
        return path


KUBECONFIG_FIX = "fix the file or pass another with --kubeconfig"
INVENTORY_FIX = "fix the file or pass another with --inventory"
# Odd files that are not input errors, each with its own test below.
NOT_INPUT_ERRORS = (
    "kubeconfig/dangling-contexts.yaml",
    "kubeconfig/date-like-name.yaml",
    "kubeconfig/numeric-names.yaml",
    "inventory/date-like-notes.yaml",
    "policy/date-like-id.yaml",
)

CASES = (
    Case("kubeconfig", "invalid-yaml.yaml",
         "kubeconfig {path}: not valid YAML (line 6, column 1: did not find expected ',' or "
         f"']'); {KUBECONFIG_FIX}"),
    Case("kubeconfig", "not-a-mapping.yaml",
         f"kubeconfig {{path}}: the top level is a list, not a mapping; {KUBECONFIG_FIX}"),
    Case("kubeconfig", "empty.yaml",
         "the kubeconfig has no contexts (files read: {path}); pass --kubeconfig FILE or set "
         "KUBECONFIG, then --global-context NAME"),
    Case("kubeconfig", "binary-junk.yaml",
         "kubeconfig {path}: binary data, not a YAML text file; pass the right file"),
    Case("kubeconfig", "duplicate-names.yaml",
         'kubeconfig {path}: contexts[0] and contexts[1] are both named "global"; kubectl '
         "refuses duplicate names in one file too; remove or rename one"),
    Case("kubeconfig", "missing-current-context.yaml",
         'current-context "prod-global" is not a context in the kubeconfig; pass '
         "--global-context NAME (available: global)"),
    Case("kubeconfig", "clusters-not-a-list.yaml",
         'kubeconfig {path}: "clusters" is a mapping, not a list of named entries; '
         f"{KUBECONFIG_FIX}"),
    Case("kubeconfig", "wrong-type.yaml",
         'kubeconfig {path}: clusters[0] "global".cluster: insecure-skip-tls-verify is a '
         f"string, not true or false; {KUBECONFIG_FIX}"),
    Case("kubeconfig", "unnamed-entry.yaml",
         "kubeconfig {path}: users[1] has no name; give every entry a name"),
    Case("kubeconfig", "multi-document.yaml",
         "kubeconfig {path}: not valid YAML (line 4, column 1: but found another document); "
         f"{KUBECONFIG_FIX}"),
    Case("kubeconfig", "bad-tag.yaml",
         "kubeconfig {path}: not valid YAML (line 4, column 18: cannot convert the value to "
         f"its YAML type); {KUBECONFIG_FIX}"),
    Case("kubeconfig", "65mb.yaml",
         "kubeconfig {path}: larger than the 64 MiB limit; pass the right file",
         make=write_65_mb, about="65 MiB of comments"),
    Case("kubeconfig", "a-directory",
         "kubeconfig {path}: is a directory, not a file; pass the file itself",
         make=make_directory, about="a directory"),
    Case("kubeconfig", "deep-nesting.yaml",
         "kubeconfig {path}: nested more than 100 levels deep; pass the right file",
         make=write_deep_nesting, about="100,000 nested lists (200 kB)", isolate=True),
    Case("policy", "invalid-yaml.yaml",
         "policy {path}: invalid YAML at line 4, column 1: found character '\\t' that cannot "
         "start any token"),
    Case("policy", "empty.yaml",
         "policy {path}: the file is empty; expected a policy mapping"),
    Case("policy", "not-a-mapping.yaml",
         "policy {path}: expected a mapping, got a list"),
    Case("policy", "binary-junk.yaml",
         "policy {path}: not UTF-8 text (byte 8)"),
    Case("policy", "typo-key.yaml",
         "policy {path}: unknown key 'relases' (expected id, source, skew, blocked_runtimes or "
         "releases; did you mean 'releases'?)"),
    Case("policy", "typo-release-key.yaml",
         "policy {path}: releases.4.3: unknown key 'compatible_minor' (expected "
         "compatible_minors, new_cluster_kubernetes, rule, upgrade_from, onboarding, notes, "
         "rejected_runtimes or manual_checks; did you mean 'compatible_minors'?)"),
    Case("policy", "wrong-type.yaml",
         "policy {path}: skew.max_minors_behind: expected a whole number of 0 or more, got the "
         "string 'three'"),
    Case("policy", "unquoted-minor.yaml",
         'policy {path}: releases.4.3.compatible_minors[1]: expected a quoted string like "1.31", '
         "got the number 1.3 (unquoted, YAML reads 1.30 as 1.3 and 4.10 as 4.1)"),
    Case("policy", "window-no-minors.yaml",
         "policy {path}: releases.4.3.compatible_minors: rule 'window' needs at least one minor"),
    Case("policy", "unknown-rule.yaml",
         "policy {path}: releases.4.3.rule: unknown rule 'strict' (expected window or latest)"),
    Case("policy", "duplicate-key.yaml",
         "policy {path}: invalid YAML at line 12, column 3: duplicate key '4.3'"),
    Case("policy", "unknown-upgrade-source.yaml",
         "policy {path}: releases.4.3.upgrade_from[0]: release '4.1' is not in this policy "
         "(it has 4.3)"),
    Case("policy", "inverted-onboarding.yaml",
         "policy {path}: releases.4.3.onboarding: min 1.35.0 is not below max 1.19.0 "
         "(min is inclusive, max exclusive)"),
    Case("policy", "missing-skew.yaml",
         "policy {path}: missing key 'skew'"),
    Case("policy", "bad-tag.yaml",
         "policy {path}: invalid YAML at line 5, column 22: cannot convert the value to its "
         "YAML type"),
    Case("policy", "a-directory",
         "policy {path}: cannot read the file (Is a directory); pass a readable policy YAML "
         "file with --policy", make=make_directory, about="a directory"),
    Case("policy", "deep-nesting.yaml",
         "policy {path}: invalid YAML: nested more than 100 levels deep",
         make=write_deep_nesting, about="100,000 nested lists (200 kB)"),
    Case("inventory", "invalid-yaml.yaml",
         "inventory {path}: not valid YAML (line 4, column 1: found unexpected end of stream); "
         f"{INVENTORY_FIX}"),
    Case("inventory", "not-a-mapping.yaml",
         "inventory {path}: top level: must be a mapping with a 'contexts' key; "
         f"{INVENTORY_FIX}"),
    Case("inventory", "binary-junk.yaml",
         "inventory {path}: binary data, not a YAML text file; pass the right file"),
    Case("inventory", "typo-top-key.yaml",
         "inventory {path}: unknown key 'context' (expected contexts; did you mean "
         f"'contexts'?); {INVENTORY_FIX}"),
    Case("inventory", "typo-entry-key.yaml",
         "inventory {path}: contexts.\"global\": unknown key 'onwer' (expected kind, "
         f"display_name, owner, notes, platform_name or wave; did you mean 'owner'?); "
         f"{INVENTORY_FIX}"),
    Case("inventory", "unknown-entry-key.yaml",
         "inventory {path}: contexts.\"global\": unknown key 'colour' (expected kind, "
         f"display_name, owner, notes, platform_name or wave); {INVENTORY_FIX}"),
    Case("inventory", "contexts-not-a-mapping.yaml",
         "inventory {path}: contexts: must be a mapping of context name or glob to an entry; "
         f"{INVENTORY_FIX}"),
    Case("inventory", "entry-not-a-mapping.yaml",
         'inventory {path}: contexts."global": must be a mapping with keys kind, display_name, '
         f"owner, notes, platform_name, wave; {INVENTORY_FIX}"),
    Case("inventory", "wrong-type.yaml",
         'inventory {path}: contexts."global".owner: expected a string, got the number 42; '
         f"{INVENTORY_FIX}"),
    Case("inventory", "bad-wave.yaml",
         'inventory {path}: contexts."global".wave: expected a whole number from 1, got the '
         f"number 0; {INVENTORY_FIX}"),
    Case("inventory", "unknown-kind.yaml",
         "inventory {path}: contexts.\"global\".kind: unknown kind 'ipl' (expected ipi, upi, "
         f"hosted, third-party or unknown; did you mean 'ipi'?); {INVENTORY_FIX}"),
    Case("inventory", "null-name.yaml",
         "inventory {path}: contexts.null: a context name must be a non-empty string; "
         f"{INVENTORY_FIX}"),
    Case("inventory", "bad-tag.yaml",
         "inventory {path}: not valid YAML (line 3, column 30: cannot convert the value to its "
         f"YAML type); {INVENTORY_FIX}"),
    Case("inventory", "a-directory",
         "inventory {path}: is a directory, not a file; pass the file itself",
         make=make_directory, about="a directory"),
    Case("inventory", "deep-nesting.yaml",
         "inventory {path}: nested more than 100 levels deep; pass the right file",
         make=write_deep_nesting, about="100,000 nested lists (200 kB)", isolate=True),
)  # fmt: skip


def command_args(case: Case, command: tuple[str, ...], path: str, good: str) -> list[str]:
    return [arg.format(path=path, good=good) for arg in command]


def run_isolated(args: list[str]) -> tuple[int, str, str]:
    """The CLI in a child process, for inputs that kill the interpreter (a segfault)."""
    env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    done = subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for command in COMMANDS[case.kind]:
            params.append(pytest.param(case, command, id=f"{case.id}-{command[0]}"))
    return params


@pytest.mark.parametrize(("case", "command"), _params())
def test_bad_input_is_exit_2_with_one_exact_line(
    cli: Any, tmp_path: Path, case: Case, command: tuple[str, ...]
) -> None:
    path = str(case.input_path(tmp_path))
    args = command_args(case, command, path, str(GOOD_KUBECONFIG))
    if case.isolate:
        code, out, err = run_isolated(args)
    else:
        result = cli(*args)
        code, out, err = result.code, result.out, result.err
    assert (code, out, err) == (2, "", PREFIX + case.message.format(path=path) + "\n")


def test_every_fixture_is_a_case_and_says_what_is_wrong() -> None:
    covered = {case.id for case in CASES if case.make is None}
    covered |= set(NOT_INPUT_ERRORS)
    files = {f"{p.parent.name}/{p.name}" for p in BAD.glob("*/*") if p.is_file()}
    assert files == covered
    for name in files - {f"{kind}/binary-junk.yaml" for kind in COMMANDS}:
        assert (BAD / name).read_text(encoding="utf-8").startswith("# "), name


def test_contexts_pointing_nowhere_show_in_the_config_column(cli: Any) -> None:
    result = cli("contexts", "--kubeconfig", str(BAD / "kubeconfig" / "dangling-contexts.yaml"))
    assert result.code == 0, result.err
    rows = [line.split(None, 4) for line in result.out.splitlines()]
    assert rows == [
        ["CONTEXT", "ROLE", "KIND", "SERVER", "CONFIG"],
        ["global", "global", "unknown", "-", 'cluster "gone" is not in the kubeconfig'],
        ["workload", "workload", "unknown", "https://workload.example:6443",
         'user "nobody" is not in the kubeconfig'],
    ]  # fmt: skip


def test_contexts_pointing_nowhere_make_the_scan_incomplete(cli: Any) -> None:
    # Both contexts are broken, so no cluster is ever contacted: no network needed.
    kubeconfig = str(BAD / "kubeconfig" / "dangling-contexts.yaml")
    result = cli("scan", "--target", "4.3", "--kubeconfig", kubeconfig, "--timeout", "1",
                 "--no-progress", "--json", "-")  # fmt: skip
    assert result.code == 3, result.err
    report = json.loads(result.out)
    assert report["verdict"] == "INCOMPLETE"
    clusters = {c["context"]: (c["status"], c["error"]["category"]) for c in report["clusters"]}
    assert clusters == {"global": ("UNKNOWN", "config"), "workload": ("UNKNOWN", "config")}


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["contexts", "--kubeconfig", "{bad}/kubeconfig/date-like-name.yaml"],
         "2024-02-30"),
        (["contexts", "--kubeconfig", "{good}",
          "--inventory", "{bad}/inventory/date-like-notes.yaml"], "global"),
        (["policy", "--policy", "{bad}/policy/date-like-id.yaml"], "policy 2024-02-30 "),
    ],
    ids=["kubeconfig", "inventory", "policy"],
)  # fmt: skip
def test_date_like_values_are_strings_like_kubectl(cli: Any, args: list[str], shown: str) -> None:
    result = cli(*[arg.format(bad=BAD, good=GOOD_KUBECONFIG) for arg in args])
    assert (result.code, result.err) == (0, "")
    assert shown in result.out


def test_utf16_kubeconfig_with_bom_is_read_like_kubectl(cli: Any, tmp_path: Path) -> None:
    text = (BAD / "kubeconfig" / "dangling-contexts.yaml").read_text(encoding="utf-8")
    path = tmp_path / "utf16.yaml"  # as PowerShell 5 writes `kubectl config view > file`
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    result = cli("contexts", "--kubeconfig", str(path))
    assert (result.code, result.err) == (0, "")
    assert 'cluster "gone" is not in the kubeconfig' in result.out


def test_numeric_context_names_are_shown_as_written(cli: Any) -> None:
    kubeconfig = str(BAD / "kubeconfig" / "numeric-names.yaml")
    result = cli("contexts", "--kubeconfig", kubeconfig)
    assert result.code == 0, result.err
    names = [line.split()[0] for line in result.out.splitlines()[1:]]
    assert names == ["1.10", "007"]


def render_messages() -> str:
    """fixtures/bad/MESSAGES.md: every input, the commands tried, the exact message."""
    lines = [
        "# Messages for bad input",
        "",
        "Generated from `tests/test_bad_input.py` (`UPDATE_MESSAGES=1 pytest "
        "tests/test_bad_input.py`); do not edit by hand. Each input is exit code 2 with this "
        "one line on stderr and nothing on stdout, for every command listed. `<file>` is the "
        "input's path; kubeconfig paths are shown absolute.",
        "",
        "| input | commands | message |",
        "|---|---|---|",
    ]
    for case in CASES:
        where = f"`fixtures/bad/{case.id}`" if case.make is None else f"{case.about} (generated)"
        commands = "<br>".join(
            "`upgrade-scanner "
            + " ".join(command_args(case, c, "<file>", "fixtures/kubeconfig/fleet.yaml"))
            + "`"
            for c in COMMANDS[case.kind]
        )
        message = f"`{PREFIX}{case.message.format(path='<file>')}`"
        cell = message.replace("|", "\\|")  # a pipe would end the table cell
        lines.append(f"| {where} | {commands} | {cell} |")
    return "\n".join(lines) + "\n"


def test_messages_file_is_current() -> None:
    text = render_messages()
    if os.environ.get("UPDATE_MESSAGES"):
        MESSAGES.write_text(text, encoding="utf-8")
    assert MESSAGES.read_text(encoding="utf-8") == text, "run: UPDATE_MESSAGES=1 pytest " + __file__
