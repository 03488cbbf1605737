"""This process's hub: the registry of its open discussion sockets and the fan-out to them.

Why not a channel-layer group per discussion: channels' ``group_send`` costs one
layer message per socket (and channels-redis fetches the whole group on every
send), which measured 6-15x slower than a bare broadcast server at 1,000 readers
(docs/live-updates.md). Instead each server process keeps a registry of its own
open sockets, receives every event once (``transport``), renders it once per
audience (``frames``) and writes the same bytes to its local sockets in a plain
loop (``sockets``).

One worker task per process handles events in order, so a revocation check (``sweeps``)
finishes before any later event is delivered: nothing published after a member lost access reaches them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from django.contrib.auth.models import AnonymousUser
from django.template.loader import get_template

from discussions.live import timing
from discussions.live.admission import CLOSE_FORBIDDEN, Audience, admission
from discussions.live.frames import RESYNC_FRAME, build_reaction_frames, build_reply_frames, discussion_state
from discussions.live.presence import PROCESS_ID, PresenceMixin
from discussions.live.sockets import Reader, wire_frame
from discussions.live.sweeps import SweepMixin
from discussions.live.timing import on_live_thread
from discussions.live.transport import channel_name, local_hubs, local_seq, redis_url, seq_key, session_fingerprint

logger = logging.getLogger(__name__)


# The hub's own Redis connections: its subscription, and short commands (a handshake's sequence
# number, presence) that wait for a free one. Unbounded, a burst of reconnects opened one per
# handshake in flight (fifty at a time in the benchmark), each costing redis-py a lookup of its
# own version on disk and Redis a client.
HUB_REDIS_CONNECTIONS = 8


class Hub(PresenceMixin, SweepMixin):
    """One per event loop: who reads what here, and one ordered queue of events to deliver."""

    def __init__(self, loop: asyncio.AbstractEventLoop, url: str | None) -> None:
        self.loop = loop
        self.url = url
        self.redis = None
        self.by_discussion: dict[int, set[Reader]] = {}
        self.by_user: dict[int, set[Reader]] = {}
        self.by_address: dict[str, set[Reader]] = {}
        self.queue: asyncio.Queue = asyncio.Queue()
        self.presence_pending: set[int] = set()
        self.presence_last: dict[int, int] = {}
        self.presence_dirty: set[int] = set()
        self.tasks: list[asyncio.Task] = []
        self.ready = asyncio.Event()
        # Counts access-shrinking events handled here, so a socket admitted before one
        # of them (and registered after it) is checked again before it gets a frame.
        self.access_epoch = 0

    async def start(self) -> None:
        try:
            await on_live_thread(_warm_up)()
        except Exception:
            logger.warning("live: warm-up failed", exc_info=True)
        self.tasks.append(self.loop.create_task(self._worker()))
        self.tasks.append(self.loop.create_task(self._heartbeat()))
        if self.url:
            pool = aioredis.BlockingConnectionPool.from_url(self.url, max_connections=HUB_REDIS_CONNECTIONS)
            self.redis = aioredis.Redis.from_pool(pool)
            self.tasks.append(self.loop.create_task(self._subscribe()))
            # A socket accepted before the subscription is live could miss events.
            await asyncio.wait_for(self.ready.wait(), timeout=5)
        else:
            self.ready.set()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.redis is not None:
            await self.redis.aclose()

    # -- receiving events
    def deliver_threadsafe(self, seq: int, event: dict) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, (seq, event))
        except RuntimeError:
            local_hubs.pop(id(self.loop), None)  # its loop has closed

    async def _subscribe(self) -> None:
        delay = 0.5
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(channel_name())
                if self.ready.is_set():
                    # Back after an outage: whatever was published meanwhile is lost here.
                    everyone = [r for readers in self.by_discussion.values() for r in readers]
                    await self.fan_out(everyone, lambda reader: RESYNC_FRAME)
                self.ready.set()
                delay = 0.5
                async for message in pubsub.listen():
                    if message["type"] != "message":
                        continue
                    seq, _, payload = message["data"].partition(b"|")
                    self.queue.put_nowait((int(seq), json.loads(payload)))
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception:
                logger.warning("live: Redis subscription lost; retrying in %.1fs", delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def _worker(self) -> None:
        while True:
            seq, event = await self.queue.get()
            try:
                await self._handle(seq, event)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("live: could not deliver %s", event.get("type"))

    async def _handle(self, seq: int, event: dict) -> None:
        kind = event["type"]
        if kind in ("access.changed", "discussion.changed"):
            self.access_epoch += 1
        if kind == "access.changed":
            mine = list(self.by_user.get(event["user_id"], ()))
            ended = event.get("ended_session")
            for reader in mine:
                if ended and reader.session_key and session_fingerprint(reader.session_key) == ended:
                    await self.close(reader, CLOSE_FORBIDDEN)
            await self.recheck(mine)
            return
        discussion_id = event["discussion_id"]
        if kind == "presence.changed":
            if event.get("process") != PROCESS_ID:
                self.schedule_presence(discussion_id)
            return
        readers = self.by_discussion.get(discussion_id)
        if not readers:
            return
        if kind == "discussion.changed":
            # Locking or pinning a public discussion must not cost a check per reader:
            # what a signed-out visitor may read, every active member may read too
            # (accounts and sessions that end are handled by their own events).
            if await on_live_thread(admission)(AnonymousUser(), discussion_id) is None:
                await self.recheck(list(readers))
            readers = self.by_discussion.get(discussion_id)
            if not readers:
                return
            state = await on_live_thread(discussion_state)(discussion_id)
            frame = json.dumps({"type": "discussion", "seq": seq, **state})
            await self.fan_out(list(readers), lambda reader: frame)
            return
        if kind == "reactions.changed":
            reader_ids = {reader.user_id for reader in readers if reader.user_id is not None}
            shared, personal = await on_live_thread(build_reaction_frames)(event, seq, reader_ids)
            await self.fan_out(
                list(readers),
                lambda reader: personal.get(reader.user_id, shared) if reader.user_id is not None else shared,
            )
            return
        audiences: dict[str, list] = {}
        authors: dict[int, Any] = {}
        for reader in readers:
            users = audiences.setdefault(reader.audience, [])
            if reader.user is not None:
                authors[reader.user_id] = reader.user
                if len(users) < 2 and reader.user not in users:
                    users.append(reader.user)
        started = time.perf_counter()
        frames, author_id = await on_live_thread(build_reply_frames)(event, seq, audiences, authors)
        rendered = time.perf_counter()
        await self.fan_out(
            list(readers),
            lambda reader: (
                frames.get(Audience.AUTHOR)
                if reader.user_id is not None and reader.user_id == author_id
                else frames.get(reader.audience)
            ),
        )
        logger.log(
            timing.TIMING_LOG_LEVEL,
            "live: %s #%s rendered in %.1f ms, written to %d sockets in %.1f ms",
            kind,
            event["number"],
            (rendered - started) * 1000,
            len(readers),
            (time.perf_counter() - rendered) * 1000,
        )

    # -- sending
    async def fan_out(self, readers: list[Reader], frame_for: Callable[[Reader], str | None]) -> None:
        behind: list[Reader] = []
        framed: dict[str, bytes] = {}
        for index, reader in enumerate(readers):
            frame = frame_for(reader)
            if frame is None:
                continue
            wire = framed.get(frame)
            if wire is None:
                wire = framed[frame] = wire_frame(frame)
            sent = reader.write_now(frame, wire)
            if sent is None:
                sent = await reader.push(frame, wire)
            if not sent:
                behind.append(reader)
            if index % timing.YIELD_EVERY == timing.YIELD_EVERY - 1:
                await asyncio.sleep(0)
        for reader in behind:
            logger.info("live: closing a reader %d bytes behind", reader.backlog())
            await self.close(reader, 4408)

    async def close(self, reader: Reader, code: int) -> None:
        if reader.closed:
            return
        self.leave(reader)
        reader.closed = True
        await reader.consumer.close_with(code)

    # -- membership of the registry
    async def join(self, reader: Reader, hello: dict, *, admitted_at_epoch: int) -> None:
        self.by_discussion.setdefault(reader.discussion_id, set()).add(reader)
        if reader.user_id is not None:
            self.by_user.setdefault(reader.user_id, set()).add(reader)
        if reader.address is not None:
            self.by_address.setdefault(reader.address, set()).add(reader)
        if self.access_epoch != admitted_at_epoch:
            # Access changed between the admission check and now; that event never saw
            # this socket.
            await self.recheck([reader])
            if reader.closed:
                return
        hello["seq"] = await current_seq(reader.discussion_id)
        held, reader.held = reader.held or [], None
        await reader.consumer.send(text_data=json.dumps(hello))
        floor = hello["seq"]
        for frame in held:
            if json.loads(frame).get("seq", floor + 1) > floor:
                await reader.push(frame)
        self.presence_dirty.add(reader.discussion_id)
        self.schedule_presence(reader.discussion_id)

    def leave(self, reader: Reader) -> None:
        readers = self.by_discussion.get(reader.discussion_id)
        if readers is not None and reader in readers:
            readers.discard(reader)
            if not readers:
                del self.by_discussion[reader.discussion_id]
            self.presence_dirty.add(reader.discussion_id)
            self.schedule_presence(reader.discussion_id)
        if reader.user_id is not None:
            mine = self.by_user.get(reader.user_id)
            if mine is not None:
                mine.discard(reader)
                if not mine:
                    del self.by_user[reader.user_id]
        if reader.address is not None:
            theirs = self.by_address.get(reader.address)
            if theirs is not None:
                theirs.discard(reader)
                if not theirs:
                    del self.by_address[reader.address]

    def sockets_of(self, user_id: int) -> int:
        return len(self.by_user.get(user_id, ()))

    def sockets_from(self, address: str) -> int:
        return len(self.by_address.get(address, ()))


def _warm_up() -> None:
    """Compile what the first event needs, so the first reply is not slow."""
    get_template("discussions/_reply.html")


async def current_seq(discussion_id: int) -> int:
    url = redis_url()
    if not url:
        return local_seq(discussion_id)
    hub = await get_hub()
    value = await hub.redis.get(seq_key(discussion_id))
    return int(value or 0)


async def get_hub() -> Hub:
    """This process's hub for the running event loop (tests run several loops in turn)."""
    loop = asyncio.get_running_loop()
    url = redis_url()
    hub = local_hubs.get(id(loop))
    if hub is not None and hub.loop is loop and hub.url == url:
        await asyncio.wait_for(hub.ready.wait(), timeout=5)
        return hub
    if hub is not None and hub.loop is loop:
        await hub.stop()
    hub = Hub(loop, url)
    local_hubs[id(loop)] = hub
    await hub.start()
    return hub


async def reset_hubs() -> None:
    """For tests: stop the hub of the running loop and forget every other one (their loops
    are gone or idle, and a hub left behind would take events meant for the next test's)."""
    running = asyncio.get_running_loop()
    hubs = list(local_hubs.values())
    local_hubs.clear()
    for hub in hubs:
        if hub.loop is running:
            await hub.stop()
