"""The cache's Redis connections belong to the process, not to each socket: Django keeps a
cache object per async context, and a socket process holds thousands of contexts open (one
per socket, whose handshake reads the session from the cache)."""

import asyncio

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.core.cache import caches

from discussions.live import hub
from spoonful import settings as production
from tests.helpers.environment import layer_settings, redis_url_or_skip

OPEN_SOCKETS = 60


@pytest.fixture
def redis_cache(settings):
    url = redis_url_or_skip()
    settings.CACHES = production.redis_caches(url)
    return url


def clients_of(url: str) -> int:
    return len(redis.Redis.from_url(url).client_list())


async def test_open_sockets_share_the_process_connections(redis_cache):
    before = await sync_to_async(clients_of)(redis_cache)
    read, release = asyncio.Event(), asyncio.Event()
    done = 0

    async def socket() -> None:
        # As a handshake does: a cache read on a thread, in this socket's own context.
        nonlocal done
        await sync_to_async(caches["default"].get, thread_sensitive=False)("session")
        done += 1
        if done == OPEN_SOCKETS:
            read.set()
        await release.wait()

    sockets = [asyncio.create_task(socket()) for _ in range(OPEN_SOCKETS)]
    await asyncio.wait_for(read.wait(), timeout=30)
    held = await sync_to_async(clients_of)(redis_cache)
    release.set()
    await asyncio.gather(*sockets)

    # A connection for each thread reading at once, at most; not one for each socket.
    assert held - before <= 10


@pytest.mark.usefixtures("fresh_hub")
async def test_a_burst_of_handshakes_shares_the_hubs_few_connections(settings):
    """Each handshake asks Redis for the discussion's sequence number; fifty at once wait for
    one of the hub's connections instead of opening one each."""
    url = redis_url_or_skip()
    settings.CHANNEL_LAYERS = layer_settings("redis")
    channel_layers.backends.clear()
    before = await sync_to_async(clients_of)(url)

    await hub.get_hub()
    numbers = await asyncio.gather(*(hub.current_seq(discussion_id) for discussion_id in range(50)))

    assert numbers == [0] * 50
    assert await sync_to_async(clients_of)(url) - before <= hub.HUB_REDIS_CONNECTIONS
    channel_layers.backends.clear()
