"""Run reads beside each other, or one after the other, until a deadline, keeping failures
as values.

Platform discovery (every platform API at once, over a small pool) and a plan's three reads
(one after the other, over the cluster's one connection) need the same thing: make some
reads, wait for them no longer than the deadline allows, and take what came back, where a
read that failed is its :class:`~scanner.kube.errors.FetchError`, a bug is a ``FetchError``
saying so (never a lost result), and a read still running at the deadline is ``None`` ("no
answer in time") and is cancelled. The reads are coroutines on the scanner's one loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from scanner.kube.errors import FetchError
from scanner.model import ErrorCategory

log = logging.getLogger(__name__)

_T = TypeVar("_T")
GRACE = 0.5  # seconds past a read's own deadline before its waiter gives up on it


async def guarded(read: Callable[[], Awaitable[_T]], name: str) -> _T | FetchError:
    """The read's result, or its failure as a value: a bug must not lose the other reads."""
    try:
        return await read()
    except FetchError as exc:
        return exc
    except Exception as exc:  # kept as a value, and said plainly
        log.debug("unexpected error in %s", name, exc_info=True)
        message = f"unexpected {type(exc).__name__} while reading it (please report)"
        return FetchError(ErrorCategory.INVALID_RESPONSE, message)


async def fan_out(
    reads: Mapping[str, Callable[[], Awaitable[_T]]], deadline: float, *, grace: float = GRACE
) -> dict[str, _T | FetchError | None]:
    """Every read at once; each result, its failure, or None when it did not finish by
    ``deadline`` plus ``grace`` (a ``time.monotonic()`` value), all of them together."""
    tasks = {key: asyncio.ensure_future(guarded(read, key)) for key, read in reads.items()}
    if tasks:
        await asyncio.wait(tasks.values(), timeout=max(0.0, deadline + grace - time.monotonic()))
    found: dict[str, _T | FetchError | None] = {}
    for key, task in tasks.items():
        if task.done():
            found[key] = task.result()
        else:
            task.cancel()
            found[key] = None
    return found


async def in_turn(
    reads: Mapping[str, Callable[[], Awaitable[_T]]], deadline: float
) -> dict[str, _T | FetchError | None]:
    """The reads one after the other (they share one connection), with :func:`fan_out`'s
    results; a read not started or not finished by ``deadline`` is None."""
    found: dict[str, _T | FetchError | None] = {}
    for key, read in reads.items():
        if deadline <= time.monotonic():
            found[key] = None
            continue
        try:
            async with asyncio.timeout_at(deadline + GRACE):
                found[key] = await guarded(read, key)
        except TimeoutError:
            found[key] = None
    return found
