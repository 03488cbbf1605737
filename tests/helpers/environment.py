"""What the test run may count on: CI must have everything, a laptop may skip."""

import os
import socket
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def redis_url_or_skip() -> str:
    """The Redis to test against; missing Redis skips locally and fails in CI."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
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
