"""Keeping secrets out of every message, log line and report.

Known secret values (tokens, passwords, exec-plugin environment values, plugin output) are
replaced wherever they appear; well-known secret shapes (bearer headers, JWTs, PEM blocks,
``token=…``) are replaced even when the value was never seen before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
