"""What the test run may count on: CI must have everything, a laptop may skip."""

import os
import socket
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# pytest-xdist runs the suite in workers gw0, gw1, ...; empty when the tests run in one process.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
REDIS_DATABASES = 16  # redis-server's default number of databases


def redis_url_for_this_worker(url: str) -> str:
    """Worker gwN uses the Redis database N places after the one ``url`` names: every test empties
    the cache (a FLUSHDB on Redis), and channel-layer groups are named after row ids that each
    worker's own test database hands out again, so two workers must never share a database."""
    if not XDIST_WORKER:
        return url
    parsed = urlparse(url)
    database = int(parsed.path.strip("/") or 0) + int(XDIST_WORKER.removeprefix("gw"))
    if database >= REDIS_DATABASES:
        raise pytest.UsageError(f"{XDIST_WORKER} would need Redis database {database}: use fewer workers")
    return parsed._replace(path=f"/{database}").geturl()


def redis_url_or_skip() -> str:
    """The Redis to test against; missing Redis skips locally and fails in CI."""
    # tests/conftest.py has already moved a REDIS_URL to this worker's database.
    url = os.environ.get("REDIS_URL") or redis_url_for_this_worker("redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5).close()
    except OSError:
        if IN_CI:
            pytest.fail(f"Redis is required in CI but {url} does not answer")
        pytest.skip(f"needs Redis at {url} (start it with redis-server, or set REDIS_URL)")
    return url


def layer_settings(kind: str) -> dict:
    """CHANNEL_LAYERS for one transport: "memory" in this process, or "redis"."""
    if kind == "memory":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url_or_skip()]}}}
