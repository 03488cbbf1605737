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
"""

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_SECONDS = 5.0
FALLBACK_MAX_ENTRIES = 20_000

# Django makes a cache object per thread; the outage is the process's, so its
# state is kept here, per Redis location.
_resting_until: dict[str, float] = {}
_state_lock = threading.Lock()


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache that rides out a Redis outage on a per-process memory cache."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = ",".join(self._servers)
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
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as error:
            self._went_down(error)
            return getattr(self._fallback, name)(*args, **kwargs)
        if resting_until is not None:
            self._came_back()
        return result

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

    def set_many(self, *args: Any, **kwargs: Any) -> list:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> None:
        self._fallback.clear()
        return self._call("clear")
