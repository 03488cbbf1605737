"""When and where live work runs: its own threads, its clocks, and the timing log.

The clocks are module constants so tests (and operators) can tighten them; code
reads them as ``timing.NAME`` at the moment it needs them, so a tightened value
takes effect.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync

# Let other work (the reply POST's response, pings) run every this many sends.
YIELD_EVERY = 100
PRESENCE_TTL = 30.0  # seconds a process's reader list counts without a refresh
PRESENCE_HEARTBEAT = 10.0  # how often each process refreshes and recounts
PRESENCE_THROTTLE = 1.0  # at most one recount per discussion per this many seconds
SESSION_SWEEP = 60.0  # how often every socket re-checks its session and access anyway

# LIVE_TIMING=1 logs each event's render and write times at WARNING (for the benchmark).
TIMING_LOG_LEVEL = logging.WARNING if os.environ.get("LIVE_TIMING") else logging.DEBUG

# Live work runs on its own threads, not on the one thread Django gives every sync
# view in this process: rendering a reply for the fan-out must not queue behind
# page views, and a sweep over a thousand sessions must not hold up the fan-out.
LIVE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live")
SWEEP_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-sweep")
# Handshakes wait on the cache and the database several times each; on one thread a burst of
# reconnects queued behind those waits (a new socket every 8-15 ms per process, measured), on
# four they overlap and the process's CPU becomes the limit. Each thread holds a connection.
HANDSHAKE_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="live-handshake")


def on_live_thread(func: Callable, executor: ThreadPoolExecutor = LIVE_THREAD) -> Callable:
    """``database_sync_to_async`` on a dedicated thread (database connections tidied the same way)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=executor)
