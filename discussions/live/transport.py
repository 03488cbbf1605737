"""How an event travels from the process that publishes it to every process's hub.

Without Redis the message goes straight to this process's hubs; with Redis it is
PUBLISHed on one channel that every process subscribes to once (one subscription
per process, not per socket). Every event of a discussion gets a sequence number
(``seq``), assigned here where it is published (atomically in Redis with a small
script). Clients notice a gap and catch up over HTTP; the database is the source
of truth and the transport may drop messages.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import redis
from django.conf import settings


def redis_url() -> str | None:
    """Redis is used when the channel layer is Redis (settings switch both on REDIS_URL)."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if "redis" not in layer.get("BACKEND", "").lower():
        return None
    hosts = layer.get("CONFIG", {}).get("hosts") or [settings.REDIS_URL]
    host = hosts[0]
    return host if isinstance(host, str) else host.get("address")


def channel_name() -> str:
    # Pub/sub channels are not scoped to a Redis database: name the database too,
    # so two sites (or two test runs) sharing a Redis never hear each other.
    return f"spoonful-live:{redis_url()}:{settings.DATABASES['default']['NAME']}"


def seq_key(discussion_id: int) -> str:
    return f"spoonful-live:seq:{settings.DATABASES['default']['NAME']}:{discussion_id}"


def session_fingerprint(session_key: str) -> str:
    """What travels between processes instead of a session key."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()[:32]


_PUBLISH_SCRIPT = """
local seq = 0
if KEYS[1] ~= '' then seq = redis.call('INCR', KEYS[1]) end
redis.call('PUBLISH', ARGV[1], seq .. '|' .. ARGV[2])
return seq
"""
_sync_clients: dict[str, Any] = {}
_local_seq: dict[int, int] = {}
_local_seq_lock = threading.Lock()

# This process's hubs, one per running event loop (tests run several loops in
# turn). ``discussions.live.hub`` registers them; without Redis, publishing
# delivers to each of them directly.
local_hubs: dict[int, Any] = {}


def _sync_redis(url: str):
    client = _sync_clients.get(url)
    if client is None:
        # Short timeouts: a Redis outage must not hold up the member's POST.
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.publish_event = client.register_script(_PUBLISH_SCRIPT)
        _sync_clients[url] = client
    return client


def publish(event: dict) -> None:
    """Send one event to every process. Called after commit, from sync code."""
    discussion_id = event.get("discussion_id")
    numbered = discussion_id is not None and event["type"] != "presence.changed"
    url = redis_url()
    if url:
        client = _sync_redis(url)
        client.publish_event(
            keys=[seq_key(discussion_id) if numbered else ""], args=[channel_name(), json.dumps(event)]
        )
        return
    seq = 0
    if numbered:
        with _local_seq_lock:
            seq = _local_seq[discussion_id] = _local_seq.get(discussion_id, 0) + 1
    for hub in list(local_hubs.values()):
        hub.deliver_threadsafe(seq, event)


def local_seq(discussion_id: int) -> int:
    """The last sequence number published in this process (the transport without Redis)."""
    return _local_seq.get(discussion_id, 0)
