"""The defaults of the command line's tunables, in one place: the core's option classes and
the click options both take them from here (importing this costs nothing at start-up)."""

TIMEOUT = 10.0  # seconds: connect and read limit of each request, and of an exec plugin
RETRIES = 1  # on connection errors and 5xx
CONCURRENCY = 256  # clusters scanned at once: one socket each (see docs/benchmarks.md)
KEEP_RUNS = 30  # --keep: the newest runs an --output-dir keeps
MAX_PREFLIGHT_AGE = "7d"  # --max-preflight-age: an older platform preflight is stale
MAX_BACKUP_AGE = "24h"  # --max-backup-age: the newest successful etcd backup's age limit
STEPS_PER_WINDOW = 1  # --steps-per-window: minors one cluster climbs in one window
MAX_PARALLEL = 20  # --max-parallel: workload clusters upgraded at once (the vendor's 4.0-4.2 cap)
STALL_RUNS = 3  # --stall-runs: runs without change that make a cluster stalled
