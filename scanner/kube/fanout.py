"""Run reads beside each other until a deadline, keeping failures as values.

Collection (the node list beside ``/version``, a plan's three reads) and platform discovery
(every platform API at once, and discovery as a whole beside collection) all need the same
thing: start some reads, wait for them no longer than the deadline allows, and take what
came back, where a read that failed is its :class:`~scanner.kube.errors.FetchError`, a bug
is a ``FetchError`` saying so (never a lost result), and a read still running at the
deadline is ``None`` ("no answer in time"). Reads run on daemon threads: one stuck on a
hung server is abandoned, never waited for, and never keeps the process alive.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from scanner.kube.errors import FetchError
from scanner.model import ErrorCategory

log = logging.getLogger(__name__)

_T = TypeVar("_T")
GRACE = 0.5  # seconds past a read's own deadline before its waiter gives up on it


class Pending(Generic[_T]):
    """One read running on its own daemon thread."""

    def __init__(self, read: Callable[[], _T], name: str) -> None:
        self._done = threading.Event()
        self._value: _T | FetchError | None = None
        self._name = name
        threading.Thread(target=self._run, args=(read,), name=name, daemon=True).start()

    def _run(self, read: Callable[[], _T]) -> None:
        try:
            self._value = read()
        except FetchError as exc:
            self._value = exc
        except Exception as exc:  # a bug must not lose the other reads: keep it as a value
            log.debug("unexpected error in %s", self._name, exc_info=True)
            message = f"unexpected {type(exc).__name__} while reading it (please report)"
            self._value = FetchError(ErrorCategory.INVALID_RESPONSE, message)
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, deadline: float) -> _T | FetchError | None:
        """The read's result, its failure, or ``None`` when it did not finish by
        ``deadline`` (a ``time.monotonic()`` value)."""
        self._done.wait(max(0.0, deadline - time.monotonic()))
        return self._value if self._done.is_set() else None


def fan_out(
    reads: Mapping[str, Callable[[], _T]], deadline: float, *, grace: float = GRACE
) -> dict[str, _T | FetchError | None]:
    """Every read at once; each result as :meth:`Pending.wait` gives it, waited for until
    ``deadline`` plus ``grace`` at most (all of them together, not each)."""
    pending = {key: Pending(read, f"read-{key}") for key, read in reads.items()}
    return {key: job.wait(deadline + grace) for key, job in pending.items()}
