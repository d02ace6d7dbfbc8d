"""Checks for human-edited YAML data files: each failure is one line naming the file, the key
path (``releases.4.3.compatible_minors[1]``) and the problem, with the near match for typos.

Used by :mod:`scanner.inputs.policy`; kept apart so the policy module stays about the policy.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, NoReturn

from scanner.errors import PolicyError, VersionError
from scanner.inputs.yamlfile import YamlProblem, parse_yaml
from scanner.versions import normalize_platform_version, parse_minor, parse_release

Minor = tuple[int, int]  # a Kubernetes minor, (1, 31)
Patch = tuple[int, int, int]  # a Kubernetes release, (1, 19, 0)


class Checker:
    """Type and value checks that raise one-line errors naming the file and the key."""

    def __init__(self, path: str, label: str = "policy") -> None:
        self.path = path
        self.label = label  # what the file is, first word of every message

    def fail(self, where: str, problem: str) -> NoReturn:
        raise PolicyError(f"{self.label} {self.path}: {where + ': ' if where else ''}{problem}")

    def mapping(
        self,
        value: Any,
        where: str,
        keys: tuple[str, ...] | None,
        required: tuple[str, ...] = (),
    ) -> Mapping[Any, Any]:
        if not isinstance(value, Mapping):
            self.fail(where, f"expected a mapping, got {_describe(value)}")
        for key in value:
            if keys is not None and key not in keys:
                self.fail(where, f"unknown key {key!r}{_expected(str(key), keys)}")
        for key in required:
            if key not in value:
                self.fail(where, f"missing key {key!r}")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {_describe(value)}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {_describe(value)}")
        # Messages end up in one-line table cells: fold any line breaks.
        return " ".join(value.split())

    def count(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(where, f"expected a whole number of 0 or more, got {_describe(value)}")
        return value

    def choice(self, value: Any, where: str, options: tuple[str, ...], what: str) -> str:
        if not isinstance(value, str):
            self.fail(where, f"expected {_one_of(options)}, got {_describe(value)}")
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
            self.fail(where, f'expected a string like "{example}", got {_describe(value)}')
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
    close = difflib.get_close_matches(word, options, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f" (expected {_one_of(options)}{hint})"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


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
