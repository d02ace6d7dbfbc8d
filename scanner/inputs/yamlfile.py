"""The one YAML reader of every input file (kubeconfig, inventory, waivers, policy).

Both entry points parse with the same safe loader: dates stay strings (kubectl reads
``2024-01-01`` as a name; no input value is a date object), PyYAML's own conversion failures
(``!!int abc``, a 5000-digit number) are YAML errors, and nesting is checked on the event
stream before any document is built, because libyaml recurses once per level and crashes the
interpreter on ~50,000 levels. Problems carry only the parser's wording and position: the
snippet PyYAML quotes may hold a secret.

- :func:`read_yaml_file` reads a file with a size cap (kubeconfig, inventory, waivers): UTF-8
  or, as kubectl accepts, UTF-16 with a byte order mark; binary data is refused. Duplicate
  keys keep the last value, as kubectl's YAML library does.
- :func:`parse_yaml_bytes` parses bytes already read (the policy, which may come from the
  package) strictly: UTF-8 only, and a duplicate key is an error (PyYAML would silently keep
  the last one, and the policy is the contract of every verdict).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import select
import stat
import time
from collections.abc import Callable, Hashable
from typing import Any

import yaml

from scanner.errors import ScannerError
from scanner.secrets import unicode_safe_document

# A 10,000-context kubeconfig with a CA blob per cluster is about 18 MiB (make bench);
# the limit is there to stop /dev/zero and mistakes, not real fleets.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NESTING = 100  # no kubeconfig, inventory or policy needs more
FIFO_WAIT_SECONDS = 10.0  # how long a named pipe may take to deliver the whole file
_CONVERT = "cannot convert the value to its YAML type"
TOO_DEEP = f"nested more than {MAX_NESTING} levels deep"


class _Conversions:
    """Dates kept as strings, and PyYAML's conversion failures as YAML errors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (AttributeError, LookupError, TypeError, ValueError):
            raise yaml.constructor.ConstructorError(None, None, _CONVERT, node.start_mark) from None


class _Loader(_Conversions, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The fast (libyaml) safe loader, for files that may be large (kubeconfigs)."""


class _UniqueKeyLoader(_Conversions, yaml.SafeLoader):
    """The pure-Python safe loader, refusing duplicate keys (the policy)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _date_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


class YamlProblem(Exception):
    """Why a text is not usable YAML. Only the parser's wording and position are kept: the
    snippet PyYAML quotes may hold a secret. Two spellings, one per family of messages."""

    def __init__(self, error: yaml.YAMLError | None = None, problem: str = "") -> None:
        super().__init__(problem)
        self.error, self.problem = error, problem

    def at_problem_mark(self) -> str:
        """``line 3, column 7: problem`` (kubeconfig, inventory, waivers)."""
        if self.error is None:
            return self.problem
        mark = getattr(self.error, "problem_mark", None)
        problem = (
            getattr(self.error, "problem", None)
            or getattr(self.error, "reason", None)
            or "unreadable"
        )
        if mark is None:
            return str(problem)
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"

    def with_position(self) -> str:
        """``at line 3, column 7: problem`` with either mark, line breaks folded (policy)."""
        exc = self.error
        if exc is None:
            return f": {self.problem}"
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            return f"{where}: {' '.join(str(exc.problem or exc.context or '').split())}"
        return f": {' '.join(str(exc).split())}"


def parse_yaml(text: str, *, unique_keys: bool = False) -> Any:
    """Parse one YAML (or JSON) document; :class:`YamlProblem` when it is not usable."""
    loader = _UniqueKeyLoader if unique_keys else _Loader
    try:
        # The text's cheap upper bound answers first: a kubeconfig with 10,000 contexts is
        # then parsed once, not twice; only a file that may be too deep gets the event pass.
        if nesting_bound(text) > MAX_NESTING and nesting_depth(text, loader) > MAX_NESTING:
            raise YamlProblem(problem=TOO_DEEP)
        document = yaml.load(text, Loader=loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise YamlProblem(exc) from None
    # A "\ud800" escape, or a lone surrogate already in the text, would fail every report's
    # write: made safe here, where the text enters.
    if _SURROGATES.search(text):
        document = unicode_safe_document(document)
    return document


_SURROGATES = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]|\\U0000[dD][89a-fA-F]")
_LINE_START = re.compile(r"^( *)((?:- +)*)", re.MULTILINE)


def nesting_bound(text: str) -> int:
    """An upper bound of how deeply collections nest, from the text alone: a block level
    needs one more column of indentation or one more ``- `` item marker, a flow level one
    more ``[`` or ``{`` (each counted, so quoted brackets only make the bound larger)."""
    block = max(
        (len(match.group(1)) + match.group(2).count("-") for match in _LINE_START.finditer(text)),
        default=0,
    )
    return block + text.count("[") + text.count("{") + 2


def nesting_depth(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> int:
    """How deeply collections nest, from the event stream (iterative, unlike construction);
    it stops counting once past the limit."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


def read_yaml_file(path: str, label: str, error: type[ScannerError], fix: str) -> Any:
    """Read and parse one file with a size cap; every failure raises ``error`` as one line
    ``<label> <path>: <problem>; <how to fix>``."""

    def fail(problem: str, how: str = fix) -> ScannerError:
        return error(f"{label} {path}: {problem}; {how}")

    data = read_input(path, fail)
    # kubectl (Go's YAML) also reads UTF-16 with a byte order mark: PowerShell writes that.
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        text = data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:
        raise fail("binary data, not a YAML text file", "pass the right file")
    try:
        return parse_yaml(text)
    except YamlProblem as exc:
        if exc.error is None:
            raise fail(exc.problem, "pass the right file") from None
        raise fail(f"not valid YAML ({exc.at_problem_mark()})") from None


def read_input(path: str, fail: Callable[..., ScannerError]) -> bytes:
    """The bytes of an input file, bounded: a regular file up to ``MAX_FILE_BYTES`` (its
    size checked first), a FIFO read non-blocking with a deadline (a pipe nobody writes to
    cannot hang the command), a device such as ``/dev/zero`` cut at the limit. Every
    failure is ``fail(problem[, how])``."""
    try:
        if stat.S_ISFIFO(os.stat(path).st_mode):
            data = read_pipe(path, FIFO_WAIT_SECONDS)
            size = len(data)
        else:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                # fstat first so a huge file is refused without reading it; the capped read
                # also catches devices and files that grow while being read.
                data = b"" if size > MAX_FILE_BYTES else handle.read(MAX_FILE_BYTES + 1)
    except PipeTimeout:
        raise fail(
            f"a pipe that delivered nothing to its end within {FIFO_WAIT_SECONDS:g} s",
            "start the program that writes it first, or pass a regular file",
        ) from None
    except FileNotFoundError:
        raise fail("no such file", "check the path") from None
    except IsADirectoryError:
        raise fail("is a directory, not a file", "pass the file itself") from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        raise fail(f"larger than the {MAX_FILE_BYTES // 2**20} MiB limit", "pass the right file")
    return data


class PipeTimeout(Exception):
    """A named pipe whose writer did not finish in time."""


def read_pipe(path: str, wait: float) -> bytes:
    """Read a FIFO (``--kubeconfig <(cat kc)`` is one) to its end, waiting at most ``wait``
    seconds in all: opened non-blocking, so a pipe nobody writes to cannot hang the scan."""
    deadline = time.monotonic() + wait
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= MAX_FILE_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise PipeTimeout(path)
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def quote(text: str) -> str:
    """Quote a name for a one-line message (escapes newlines and quotes)."""
    return json.dumps(text, ensure_ascii=False)
