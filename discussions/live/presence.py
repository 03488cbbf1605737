"""How many are reading a discussion, across every process ("N reading").

Each process records its own readers in the shared cache and counts everyone's;
a change here is announced to the other processes, which recount.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid

from django.core.cache import cache

from discussions.live import timing
from discussions.live.timing import on_live_thread
from discussions.live.transport import channel_name

logger = logging.getLogger(__name__)

PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _presence_keys(discussion_id: int) -> tuple[str, str]:
    return f"live:presence:{discussion_id}:procs", f"live:presence:{discussion_id}:"


def presence_count(discussion_id: int, user_ids: set[int], visitors: int) -> int:
    """Record this process's readers in the shared cache and count everyone's.

    Signed-in readers count once however many tabs or processes they use;
    signed-out visitors count per socket (they have nothing to dedupe by).
    Entries carry their own expiry, so a process that dies stops counting after
    PRESENCE_TTL even if the cache keeps the key.
    """
    procs_key, entry_prefix = _presence_keys(discussion_id)
    now = time.time()
    expires = now + timing.PRESENCE_TTL
    cache.set(entry_prefix + PROCESS_ID, {"u": sorted(user_ids), "v": visitors, "x": expires}, timing.PRESENCE_TTL * 2)
    # Read-modify-write of the process list can lose a concurrent writer's entry;
    # that process puts it back on its next heartbeat.
    procs = cache.get(procs_key) or {}
    if user_ids or visitors:
        procs[PROCESS_ID] = expires
    else:
        procs.pop(PROCESS_ID, None)
    procs = {pid: until for pid, until in procs.items() if until > now}
    cache.set(procs_key, procs, timing.PRESENCE_TTL * 4)
    entries = cache.get_many([entry_prefix + pid for pid, until in procs.items() if until > now])
    readers: set[int] = set()
    total_visitors = 0
    for entry in entries.values():
        if entry["x"] > now:
            readers.update(entry["u"])
            total_visitors += entry["v"]
    return len(readers) + total_visitors


class PresenceMixin:
    """The hub's presence: recounts throttled per discussion, sent to readers when the count changes.

    Uses the hub's ``loop``, ``redis``, ``by_discussion``, ``fan_out`` and its
    ``presence_pending``, ``presence_last`` and ``presence_dirty``.
    """

    def schedule_presence(self, discussion_id: int) -> None:
        if discussion_id in self.presence_pending:
            return
        self.presence_pending.add(discussion_id)
        self.loop.call_later(
            timing.PRESENCE_THROTTLE, lambda: self.loop.create_task(self._presence(discussion_id)) and None
        )

    async def _presence(self, discussion_id: int) -> None:
        self.presence_pending.discard(discussion_id)
        readers = list(self.by_discussion.get(discussion_id, ()))
        changed_here = discussion_id in self.presence_dirty
        self.presence_dirty.discard(discussion_id)
        user_ids = {r.user_id for r in readers if r.user_id is not None}
        visitors = sum(1 for r in readers if r.user_id is None)
        try:
            count = await on_live_thread(presence_count, timing.SWEEP_THREAD)(discussion_id, user_ids, visitors)
        except Exception:
            logger.warning("live: presence store unavailable", exc_info=True)
            return
        if changed_here and self.redis is not None:
            try:
                await self.redis.publish(
                    channel_name(),
                    "0|"
                    + json.dumps({"type": "presence.changed", "discussion_id": discussion_id, "process": PROCESS_ID}),
                )
            except Exception:
                # Other processes recount on their heartbeat; this one's readers still get the count.
                logger.warning("live: could not tell other processes that presence changed", exc_info=True)
        if not readers:
            self.presence_last.pop(discussion_id, None)
            return
        if self.presence_last.get(discussion_id) != count:
            self.presence_last[discussion_id] = count
            frame = json.dumps({"type": "presence", "reading": count})
            await self.fan_out(readers, lambda reader: frame)
