"""The shared cache: Redis, falling back to each process's memory while Redis is unreachable.

What lives in the cache (rate-limit counters, ours and allauth's; allauth's
two-factor replay guard; live presence; rendered reply fragments, in a cache of
their own) is worth less than the request that touches it: a member's reply,
search or sign-in must never fail, and a reply never be lost, because Redis did.
So while Redis does not answer, every operation goes to a per-process memory cache
instead: limits fail open to per-process limits rather than to none, presence counts
this process's readers.
A warning is logged once when Redis stops answering and once when it answers
again; in between Redis is tried again every ``RETRY_SECONDS``, so an outage
does not cost every request a connection attempt.

Only connection failures and timeouts fall back. Any other Redis error is a bug
to see, not an outage to ride out.

Deletes made during an outage are made again in Redis once it answers: an entry
there must not outlive what ended it (a session signed out while Redis was away
would otherwise sign in again from the entry Redis kept). Sessions are not kept
in the fallback at all: another process may end one meanwhile, so during an
outage they are read from the database, their record.
"""

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_SECONDS = 5.0
FALLBACK_MAX_ENTRIES = 20_000

# Django makes a cache object per thread; the outage is the process's, so its
# state is kept here, per Redis location.
_resting_until: dict[str, float] = {}
_deleted_while_resting: dict[str, list[tuple[str, tuple, dict]]] = {}
_state_lock = threading.Lock()
DELETES = ("delete", "delete_many")
# django.contrib.sessions.backends.cached_db's keys.
NOT_IN_FALLBACK = "django.contrib.sessions.cached_db"


# One connection pool and one client per Redis server and options, for the whole process.
_pools: dict[tuple[str, str], Any] = {}
_clients: dict[int, Any] = {}
_pools_lock = threading.Lock()


class SharedPoolRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, sharing one connection pool and one ``redis.Redis`` per
    server across the process.

    Django keeps a cache object per thread and per async context, and each makes its own
    pool: a socket process opened Redis connections per open socket (its handshake reads the
    session), so 5,000 idle sockets took Redis to its 10,000 clients and every process was
    refused. A pool is thread-safe and opens connections only as threads use them at once.
    Django also builds a new ``redis.Redis`` for every operation, whose ``__init__`` fills in
    some 170 response callbacks (about 0.7 ms of CPU, several times a page); one per pool does.
    """

    def _get_connection_pool(self, write: bool) -> Any:
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, repr(sorted(self._pool_options.items())))
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = self._pool_class.from_url(server, **self._pool_options)
        return pool

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        with _pools_lock:
            client = _clients.get(id(pool))
            if client is None:
                client = _clients[id(pool)] = self._client(connection_pool=pool)
        return client


def incr_counters(store: Any, timeouts: dict[str, int]) -> list[int]:
    """Add one to each counter in ``store`` (a cache), making a missing one at 0 that
    expires after its timeout in seconds; the counts, in order. On Redis, one round trip
    for all of them (rate limits count each attempt in several windows)."""
    counting = getattr(store, "incr_counters", None)
    if counting is not None:
        return counting(timeouts)
    return [_incr_counter(store, key, timeout) for key, timeout in timeouts.items()]


def _incr_counter(store: Any, key: str, timeout: int) -> int:
    store.add(key, 0, timeout=timeout)
    try:
        return store.incr(key)
    except ValueError:  # expired between add and incr
        store.set(key, 1, timeout=timeout)
        return 1


class CountingRedisCache(RedisCache):
    """Django's Redis cache with ``incr_counters`` in one pipeline: SET NX with the
    timeout, then INCR, for each counter (Django's own add and incr take three round trips)."""

    def incr_counters(self, timeouts: dict[str, int]) -> list[int]:
        pipeline = self._cache.get_client(None, write=True).pipeline()
        for key, timeout in timeouts.items():
            key = self.make_and_validate_key(key)
            pipeline.set(key, 0, nx=True, ex=timeout)
            pipeline.incr(key)
        return pipeline.execute()[1::2]


class FailOpenRedisCache(CountingRedisCache):
    """Django's Redis cache that rides out a Redis outage on a per-process memory cache."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient
        self._location = ",".join(self._servers)
        # Deletes to replay are this cache's own: another alias on the same Redis has another key prefix.
        self._deletes_key = f"{self._location}:{params.get('KEY_PREFIX', '')}"
        self._fallback = LocMemCache(
            # One per key prefix: the fragments cache must not crowd out rate limits here either.
            f"redis-fallback:{self._location}:{params.get('KEY_PREFIX', '')}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
            },
        )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        resting_until = _resting_until.get(self._location)
        if resting_until is not None and time.monotonic() < resting_until:
            return self._on_fallback(name, *args, **kwargs)
        if self._deletes_key in _deleted_while_resting:
            # Before anything is read: an entry deleted during the outage must not be served.
            self._replay_deletes()
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as error:
            self._went_down(error)
            return self._on_fallback(name, *args, **kwargs)
        if resting_until is not None:
            self._came_back()
        return result

    def _on_fallback(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "incr_counters":
            return incr_counters(self._fallback, *args)
        if name in DELETES:
            with _state_lock:
                _deleted_while_resting.setdefault(self._deletes_key, []).append((name, args, kwargs))
        elif name in ("get", "set", "add") and str(args[0]).startswith(NOT_IN_FALLBACK):
            if name == "get":
                return kwargs.get("default", args[1] if len(args) > 1 else None)
            return None
        return getattr(self._fallback, name)(*args, **kwargs)

    def _went_down(self, error: Exception) -> None:
        with _state_lock:
            first = self._location not in _resting_until
            _resting_until[self._location] = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning(
                "cache unreachable (%s: %s); rate limits and presence count in this process only until Redis answers",
                type(error).__name__,
                error,
            )

    def _came_back(self) -> None:
        with _state_lock:
            was_down = _resting_until.pop(self._location, None) is not None
        if was_down:
            # Counts kept during the outage belong to it; a later outage starts afresh.
            self._fallback.clear()
            logger.warning("cache reachable again; rate limits and presence are shared again")

    def _replay_deletes(self) -> None:
        with _state_lock:
            deletes = _deleted_while_resting.pop(self._deletes_key, [])
        for name, args, kwargs in deletes:
            self._call(name, *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> None:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> dict:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> int:
        return self._call("incr", *args, **kwargs)

    def incr_counters(self, timeouts: dict[str, int]) -> list[int]:
        return self._call("incr_counters", timeouts)

    def set_many(self, *args: Any, **kwargs: Any) -> list:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> None:
        self._fallback.clear()
        return self._call("clear")
