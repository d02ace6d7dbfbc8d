"""Whether a process still runs: what tells a dead run's leftovers (an output directory's
lock, a key directory) from a live run's."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Is process ``pid`` running (on this host)? Never signals anything: signal 0 only."""
    if pid <= 0:
        return False  # 0 and negative pids name process groups, not a process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
