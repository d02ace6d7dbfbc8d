"""The one field checker of every human-edited input file (policy, removals, inventory,
waivers, the kubeconfig body): each failure is one line naming the file, the key path
(``releases.4.3.compatible_minors[1]``) and the problem, with the near match for typos
(:func:`did_you_mean`, the one such helper) and, where the file has one, how to fix it.

A file that may hold secrets (a kubeconfig) is checked with ``show_values=False``: a wrong
value is then described by its kind only ("a list"), never by its content.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from scanner import serial
from scanner.errors import PolicyError, ScannerError, VersionError
from scanner.inputs.yamlfile import YamlProblem, parse_yaml
from scanner.versions import normalize_platform_version, parse_minor, parse_release

Minor = tuple[int, int]  # a Kubernetes minor, (1, 31)
Patch = tuple[int, int, int]  # a Kubernetes release, (1, 19, 0)


class Checker:
    """Type and value checks that raise one-line errors naming the file and the key."""

    def __init__(
        self,
        path: str,
        label: str = "policy",
        error: type[ScannerError] = PolicyError,
        fix: str = "",
        *,
        show_values: bool = True,
    ) -> None:
        self.path = path
        self.label = label  # what the file is, first word of every message
        self.error = error
        self.fix = fix  # how to fix it, the end of every message ("" : none)
        self.show_values = show_values

    def fail(self, where: str, problem: str, fix: str | None = None) -> NoReturn:
        how = self.fix if fix is None else fix
        raise self.error(
            f"{self.label} {self.path}: {where + ': ' if where else ''}{problem}"
            + (f"; {how}" if how else "")
        )

    def describe(self, value: Any) -> str:
        return describe(value) if self.show_values else kind_of(value)

    def typed(self, value: Any, where: str, cls: type | tuple[type, ...], label: str) -> Any:
        """``value`` when it is ``cls`` (or absent, None); else "<where> is a list, not
        <label>", naming the kind of value only when values may not be shown."""
        if value is not None and not isinstance(value, cls):
            self.fail("", f"{where} is {self.describe(value)}, not {label}")
        return value

    def mapping(
        self,
        value: Any,
        where: str,
        keys: tuple[str, ...] | None,
        required: tuple[str, ...] = (),
    ) -> Mapping[Any, Any]:
        if not isinstance(value, Mapping):
            self.fail(where, f"expected a mapping, got {self.describe(value)}")
        for key in value:
            if keys is not None and key not in keys:
                self.fail(where, f"unknown key {key!r}{_expected(str(key), keys)}")
        for key in required:
            if key not in value:
                self.fail(where, f"missing key {key!r}")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {self.describe(value)}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {self.describe(value)}")
        # Messages end up in one-line table cells: fold any line breaks.
        return " ".join(value.split())

    def count(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(where, f"expected a whole number of 0 or more, got {self.describe(value)}")
        return value

    def choice(self, value: Any, where: str, options: tuple[str, ...], what: str) -> str:
        if not isinstance(value, str):
            self.fail(where, f"expected {_one_of(options)}, got {self.describe(value)}")
        if value not in options:
            self.fail(where, f"unknown {what} {value!r}{_expected(value, options)}")
        return value

    def quoted(self, value: Any, where: str, example: str) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.fail(
                where,
                f'expected a quoted string like "{example}", got the number {value!r} '
                "(unquoted, YAML reads 1.30 as 1.3 and 4.10 as 4.1)",
            )
        if not isinstance(value, str):
            self.fail(where, f'expected a string like "{example}", got {self.describe(value)}')
        return value.strip()

    def minor(self, value: Any, where: str) -> Minor:
        text = self.quoted(value, where, "1.31")
        try:
            return parse_minor(text)
        except VersionError:
            self.fail(where, f"{text!r} is not a Kubernetes minor of the form 1.31")

    def minors(self, value: Any, where: str) -> tuple[Minor, ...]:
        items = self.items(value, where)
        minors = [self.minor(item, f"{where}[{i}]") for i, item in enumerate(items)]
        self.unique([f"{major}.{minor}" for major, minor in minors], where)
        return tuple(minors)

    def patch(self, value: Any, where: str) -> Patch:
        text = self.quoted(value, where, "1.19.0")
        try:
            return parse_release(text)
        except VersionError:
            self.fail(where, f"{text!r} is not a Kubernetes version of the form 1.19.0")

    def platform_version(self, value: Any, where: str) -> str:
        text = self.quoted(value, where, "4.3")
        try:
            canonical = normalize_platform_version(text)
        except VersionError:
            self.fail(
                where, f"{text!r} is not a platform version of the form MAJOR.MINOR (e.g. 4.3)"
            )
        if canonical != text:
            self.fail(where, f"write the platform version {text!r} as {canonical!r}")
        return text

    def unique(self, values: list[str], where: str, what: str = "") -> tuple[str, ...]:
        for i, value in enumerate(values):
            if value in values[:i]:
                self.fail(where, f"{what + ' ' if what else ''}{value!r} is listed twice")
        return tuple(values)


def _one_of(options: tuple[str, ...]) -> str:
    return options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"


def _expected(word: str, options: tuple[str, ...]) -> str:
    """`` (expected a or b; did you mean 'a'?)``: the near match only when there is one."""
    return f" (expected {_one_of(options)}{did_you_mean(word, options)})"


def did_you_mean(word: str, choices: Sequence[str], quoted: Callable[[str], str] = repr) -> str:
    """``; did you mean 'x'?`` for the closest of ``choices``, or "" when none is close; a
    glob is also tried without its wildcards (``eks-prd*`` finds ``eks-prod``), and any word
    in lower case (``IPI`` finds ``ipi``)."""
    for candidate in dict.fromkeys((word, word.strip("*?"), word.lower())):
        close = difflib.get_close_matches(candidate, list(choices), n=1)
        if close:
            return f"; did you mean {quoted(close[0])}?"
    return ""


def kind_of(value: Any) -> str:
    """What kind of value, never the value: for files that may hold secrets."""
    if value is None:
        return "empty"
    for cls, name in ((bool, "a boolean"), (Mapping, "a mapping"), (list, "a list")):
        if isinstance(value, cls):
            return name
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"


def describe(value: Any) -> str:
    """A value in a YAML file's words (``nothing (null)``, ``a mapping``), whole."""
    return serial.describe(value, null="nothing (null)", mapping="a mapping", clip=None)


def read_yaml(data: bytes, path: str, label: str = "policy") -> Any:
    """Parse a data file's bytes strictly (UTF-8, no duplicate keys) into one document."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{label} {path}: not UTF-8 text (byte {exc.start})") from None
    try:
        document = parse_yaml(text, unique_keys=True)
    except YamlProblem as exc:
        raise PolicyError(f"{label} {path}: invalid YAML{exc.with_position()}") from None
    if document is None:
        raise PolicyError(f"{label} {path}: the file is empty; expected a {label} mapping")
    return document
