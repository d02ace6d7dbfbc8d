"""The scanner's one event loop: collection, upgrade-plan reads and platform discovery all
run on it, so a thousand clusters are a thousand coroutines, not a thousand threads.

It runs on a daemon thread of its own, so the pipeline stays a plain function (it submits
coroutines and waits for their results) and signals keep reaching the main thread: a
SIGTERM while the pipeline waits interrupts the wait at once. A coroutine still running when
the process exits (a read of a cluster that never answers) is abandoned with the thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """The loop, started on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            _thread = threading.Thread(target=run, name="scanner-loop", daemon=True)
            _thread.start()
            started.wait()
            _loop = loop
        return _loop


def submit(coroutine: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
    """Run ``coroutine`` on the loop; its future (thread-safe) to wait on."""
    if threading.current_thread() is _thread:
        coroutine.close()
        raise RuntimeError("submit() called from the event loop itself: await instead")
    return asyncio.run_coroutine_threadsafe(coroutine, event_loop())


def run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coroutine`` on the loop and wait for its result (its exception is raised here)."""
    return submit(coroutine).result()
