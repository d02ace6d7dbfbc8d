"""Keeping secrets out of every message, log line and report.

Known secret values (tokens, passwords, exec-plugin environment values, plugin output) are
replaced wherever they appear; well-known secret shapes (bearer headers, JWTs, PEM blocks,
``token=…``) are replaced even when the value was never seen before.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"-----BEGIN [A-Z ]+-----.*?(-----END [A-Z ]+-----|$)", re.DOTALL),
        MASK,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.?[A-Za-z0-9_-]*"), MASK),
    (
        re.compile(
            r"(?i)\b((?:access[_-]?|id[_-]?|refresh[_-]?)?token|password|passwd|secret|"
            r"api[_-]?key|client[_-]?key)(\"?\s*[:=]\s*\"?|\s+)([^\s\"',;]{4,})"
        ),
        r"\1\2" + MASK,
    ),
)


def scrub(text: str, known: Iterable[str] = ()) -> str:
    """Return ``text`` with every known secret and every secret-looking value masked."""
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted({s for s in known if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class KnownSecrets:
    """Secret values this process has read (kubeconfig tokens, passwords, keys, exec-plugin
    environment and output), so that text nobody wrote for output (a log record, a library's
    traceback) can be scrubbed of them too. Write-only for the code that reads secrets; only
    the log formatter and the internal-error line read it back. Not configuration: nothing
    behaves differently because of what it holds, text only loses secrets."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str | bytes | None) -> None:
        with self._lock:
            for value in values:
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if value and len(value) >= 4:
                    self._values.add(value)
                    # A value with line breaks also reaches messages one line at a time.
                    self._values.update(p for p in value.splitlines() if len(p.strip()) >= 8)

    def values(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._values)


KNOWN = KnownSecrets()


def scrub_all(text: str) -> str:
    """``text`` without any secret this process has read, nor any secret-looking value."""
    return scrub(text, KNOWN.values())


def terminal_safe(text: str, *, keep_lines: bool = True) -> str:
    """Text from clusters and kubeconfigs, made safe to print: every character that is not
    printable (C0 and C1 controls such as ESC and the 8-bit CSI 0x9b, DEL, bidirectional
    overrides, lone surrogates) becomes ``?``. Line breaks and tabs are kept for multi-line
    log records, and replaced too in one-line cells (``keep_lines=False``)."""
    kept = "\n\t" if keep_lines else ""
    return "".join(ch if ch.isprintable() or ch in kept else "?" for ch in text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def unicode_safe(text: str) -> str:
    """``text`` with every lone surrogate (a ``\\ud800`` JSON escape, a non-UTF-8 byte of a
    path as Python's ``surrogateescape`` keeps it) replaced by U+FFFD: text that cannot be
    encoded would fail the report's write. Made safe once, where text enters."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def unicode_safe_document(document: Any) -> Any:
    """Every string (keys too) of a parsed JSON or YAML document, made :func:`unicode_safe`;
    iterative, so a deep document cannot exhaust the stack."""
    if isinstance(document, str):
        return unicode_safe(document)
    if not isinstance(document, (dict, list)):
        return document
    root: list[Any] = [document]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, document)]
    while stack:
        parent, key, value = stack.pop()
        if isinstance(value, dict):
            cleaned: dict[Any, Any] = {}
            parent[key] = cleaned
            for k, v in value.items():
                k = unicode_safe(k) if isinstance(k, str) else k
                cleaned[k] = v
                stack.append((cleaned, k, v))
        elif isinstance(value, list):
            items = list(value)
            parent[key] = items
            stack.extend((items, i, v) for i, v in enumerate(items))
        elif isinstance(value, str):
            parent[key] = unicode_safe(value)
    return root[0]
