"""Per-process fan-out for live discussion updates.

Why not a channel-layer group per discussion: channels' ``group_send`` costs one
layer message per socket (and channels-redis fetches the whole group on every
send), which measured 6-15x slower than a bare broadcast server at 1,000 readers
(docs/live-updates.md). Instead each server process keeps a registry of its own
open sockets, receives every event once, renders it once per audience and writes
the same bytes to its local sockets in a plain loop.

How an event travels:
- ``discussions.events`` publishes after commit. Without Redis the message goes
  straight to this process's hub; with Redis it is PUBLISHed on one channel that
  every process subscribes to once (one subscription per process, not per socket).
- Every event of a discussion gets a sequence number (``seq``), assigned where
  it is published (atomically in Redis with a small script). Clients notice a
  gap and catch up over HTTP; the database is the source of truth and the
  transport may drop messages.
- One worker task per process handles events in order, so a revocation check
  finishes before any later event is delivered: nothing published after a
  member lost access reaches them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils.crypto import constant_time_compare

logger = logging.getLogger(__name__)

# Limits. Module constants so tests (and operators) can tighten them.
MAX_SOCKETS_PER_MEMBER = 20
# Signed-out visitors have no account to count by, so their sockets are counted per
# client address. Higher than a member's cap: one address may be a household, a
# ward or a library behind one NAT.
MAX_VISITOR_SOCKETS_PER_ADDRESS = 30
# Frames a reader may leave unread in its socket's send buffer before frames are
# dropped (the client notices the seq gap and catches up), and before it is closed.
DROP_BACKLOG_BYTES = 256 * 1024
CLOSE_BACKLOG_BYTES = 1024 * 1024
# Let other work (the reply POST's response, pings) run every this many sends.
YIELD_EVERY = 100
PRESENCE_TTL = 30.0  # seconds a process's reader list counts without a refresh
PRESENCE_HEARTBEAT = 10.0  # how often each process refreshes and recounts
PRESENCE_THROTTLE = 1.0  # at most one recount per discussion per this many seconds
SESSION_SWEEP = 60.0  # how often signed-in sockets re-check their session anyway

# LIVE_TIMING=1 logs each event's render and write times at WARNING (for the benchmark).
TIMING_LOG_LEVEL = logging.WARNING if os.environ.get("LIVE_TIMING") else logging.DEBUG

CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY = 4429

RESYNC_FRAME = '{"type": "resync"}'
PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Audience:
    VISITOR = "visitor"
    MEMBER = "member"
    MODERATOR = "moderator"
    AUTHOR = "author"  # the reply's own author: sees their anonymous or held reply as theirs


# Live work runs on its own threads, not on the one thread Django gives every sync
# view in this process: rendering a reply for the fan-out must not queue behind
# page views, and a sweep over a thousand sessions must not hold up the fan-out.
_LIVE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live")
_SWEEP_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-sweep")


def on_live_thread(func: Callable, executor: ThreadPoolExecutor = _LIVE_THREAD) -> Callable:
    """``database_sync_to_async`` on a dedicated thread (database connections tidied the same way)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=executor)


# --- Transport configuration ---------------------------------------------------


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


_PUBLISH_SCRIPT = """
local seq = 0
if KEYS[1] ~= '' then seq = redis.call('INCR', KEYS[1]) end
redis.call('PUBLISH', ARGV[1], seq .. '|' .. ARGV[2])
return seq
"""
_sync_clients: dict[str, Any] = {}
_local_seq: dict[int, int] = {}
_local_seq_lock = threading.Lock()


def _sync_redis(url: str):
    client = _sync_clients.get(url)
    if client is None:
        import redis

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
    for hub in list(_hubs.values()):
        hub.deliver_threadsafe(seq, event)


async def current_seq(discussion_id: int) -> int:
    url = redis_url()
    if not url:
        return _local_seq.get(discussion_id, 0)
    hub = await get_hub()
    value = await hub.redis.get(seq_key(discussion_id))
    return int(value or 0)


# --- What each audience may receive -----------------------------------------------


@dataclass
class Admission:
    audience: str
    locked: bool
    last_number: int


def admission(user, discussion_id: int) -> Admission | None:
    """The one visibility rule decides; missing and forbidden both give None."""
    from discussions.selectors import can_moderate, discussion_list_visible_to, is_signed_in_member

    discussion = discussion_list_visible_to(user).filter(pk=discussion_id).first()
    if discussion is None:
        return None
    if not is_signed_in_member(user):
        audience = Audience.VISITOR
    elif can_moderate(user, discussion):
        audience = Audience.MODERATOR
    else:
        audience = Audience.MEMBER
    return Admission(audience=audience, locked=discussion.is_locked, last_number=discussion.last_reply_number)


def session_fingerprint(session_key: str) -> str:
    """What travels between processes instead of a session key."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()[:32]


def session_belongs_to(user, session_key: str | None) -> bool:
    """Whether the session still signs this user in: not signed out, not ended
    elsewhere, and not from before a password change."""
    from importlib import import_module

    if not session_key:
        return False
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())


def still_allowed(user_id: int | None, session_key: str | None, discussion_id: int) -> Admission | None:
    """Re-check a socket from scratch: account, session and the visibility rule."""
    from accounts.models import User

    if user_id is None:
        return admission(AnonymousUser(), discussion_id)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not session_belongs_to(user, session_key):
        return None
    return admission(user, discussion_id)


def _viewer_for(audience: str, readers: list, exclude: int | None):
    """A representative viewer for an audience: one of its own readers (as they
    signed in on this socket) who is not the reply's author."""
    if audience == Audience.VISITOR:
        return AnonymousUser()
    for user in readers:
        if user.pk != exclude:
            return user
    return None


def build_reply_frames(
    event: dict, seq: int, audiences: dict[str, list], authors_present: dict[int, Any]
) -> tuple[dict[str, str], int | None]:
    """Render a reply event once per audience present in this process.

    Audiences are: signed-out visitors, members, moderators, and the reply's own
    author (who sees their anonymous or held reply as theirs). Each is rendered
    for one representative reader of it, so nothing personal to one member
    beyond authorship may go in the partial. Returns frames keyed by audience
    and the author's id. A reply an audience may not see becomes a
    bare ``seq`` frame for it, so its seq stays contiguous without content.
    """
    from discussions.models import Reply
    from discussions.views import reply_html_for_viewer

    number = event["number"]
    reply = (
        Reply.objects.select_related("discussion", "author", "parent")
        .filter(discussion_id=event["discussion_id"], number=number)
        .first()
    )
    skip = json.dumps({"type": "seq", "seq": seq})
    if reply is None:
        return {audience: skip for audience in audiences}, None
    kind = "reply.created" if event["type"] == "reply.created" else "reply.changed"
    frames: dict[str, str] = {}
    wanted = dict(audiences)
    if reply.author_id in authors_present:
        wanted[Audience.AUTHOR] = [authors_present[reply.author_id]]
    for audience, users in wanted.items():
        viewer = users[0] if audience == Audience.AUTHOR else _viewer_for(audience, users, exclude=reply.author_id)
        if viewer is None:
            continue  # only the author reads here in this audience: they get the author frame
        # The page's own partial, prepared for this viewer by the page's own code.
        html = reply_html_for_viewer(viewer=viewer, discussion=reply.discussion, number=number)
        if html is None:
            # Held, or hidden for review: readers who had it must drop it.
            frames[audience] = (
                json.dumps({"type": "reply.gone", "seq": seq, "number": number}) if kind == "reply.changed" else skip
            )
            continue
        frames[audience] = json.dumps(
            {
                "type": kind,
                "seq": seq,
                "number": number,
                "parent": reply.parent.number if reply.parent else None,
                "tombstone": reply.is_tombstone,
                "html": html,
            }
        )
    return frames, reply.author_id


# --- Presence -------------------------------------------------------------------------


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
    expires = now + PRESENCE_TTL
    cache.set(entry_prefix + PROCESS_ID, {"u": sorted(user_ids), "v": visitors, "x": expires}, PRESENCE_TTL * 2)
    # Read-modify-write of the process list can lose a concurrent writer's entry;
    # that process puts it back on its next heartbeat.
    procs = cache.get(procs_key) or {}
    if user_ids or visitors:
        procs[PROCESS_ID] = expires
    else:
        procs.pop(PROCESS_ID, None)
    procs = {pid: until for pid, until in procs.items() if until > now}
    cache.set(procs_key, procs, PRESENCE_TTL * 4)
    entries = cache.get_many([entry_prefix + pid for pid, until in procs.items() if until > now])
    readers: set[int] = set()
    total_visitors = 0
    for entry in entries.values():
        if entry["x"] > now:
            readers.update(entry["u"])
            total_visitors += entry["v"]
    return len(readers) + total_visitors


# --- The per-process hub ------------------------------------------------------------------


def _find_protocol(send: Callable) -> Any:
    """daphne's protocol object behind an ASGI send, when there is one.

    Used for two things ASGI does not offer: writing a frame without three
    coroutine hops per socket, and reading how much a slow reader has left
    unread in its buffer. Anything else (the test communicator) uses plain ASGI.
    """
    seen = 0
    while send is not None and seen < 5:
        seen += 1
        args = getattr(send, "args", None)
        if args and hasattr(args[0], "sendMessage") and hasattr(args[0], "transport"):
            return args[0]
        owner = getattr(send, "__self__", None)
        send = getattr(owner, "real_send", None) or getattr(owner, "send", None) if owner else None
    return None


@dataclass(eq=False)
class Reader:
    consumer: Any
    discussion_id: int
    user_id: int | None
    session_key: str | None
    audience: str
    user: Any = None  # as signed in on this socket; renders for its audience
    protocol: Any = None
    address: str | None = None  # a signed-out visitor's client address, for the per-address cap
    held: list[str] | None = field(default_factory=list)  # frames kept back until the hello is out
    closed: bool = False
    dropped: int = 0

    def backlog(self) -> int:
        transport = getattr(self.protocol, "transport", None)
        if transport is None:
            return 0
        try:
            return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        except AttributeError:
            return 0

    def write_now(self, text: str, framed: bytes | None = None) -> bool | None:
        """Send one frame without waiting; False when the reader is too far behind
        to keep, None when this socket needs the (awaited) ASGI path instead.

        On daphne this writes straight to the socket, so one slow reader never
        holds up the loop; its unread backlog is what is bounded. ``framed`` is
        the frame already encoded for the wire, shared by every reader of an event.
        """
        if self.closed:
            return True
        if self.held is not None:
            self.held.append(text)
            return True
        protocol = self.protocol
        if protocol is None:
            return None
        backlog = self.backlog()
        if backlog > CLOSE_BACKLOG_BYTES:
            return False
        if backlog > DROP_BACKLOG_BYTES:
            self.dropped += 1  # the client sees the seq gap and catches up
            return True
        if protocol.state != protocol.STATE_OPEN:
            return True
        if framed is not None and not protocol.websocket_extensions_in_use:
            write_through(protocol.transport, framed, backlog)
        else:
            protocol.sendMessage(text.encode(), False)
        return True

    async def push(self, text: str, framed: bytes | None = None) -> bool:
        sent = self.write_now(text, framed)
        if sent is None:
            await self.consumer.send(text_data=text)
            return True
        return sent


def write_through(transport: Any, data: bytes, backlog: int) -> None:
    """Write to a TCP socket at once when nothing is queued before it.

    Twisted's ``write`` always queues and registers the socket with the event
    loop, which costs two system calls per socket per frame; with an empty
    buffer a plain ``send`` does the same job with one. Anything not sent (or
    any other transport) goes through Twisted as usual, so order is kept.
    """
    sock = getattr(transport, "socket", None)
    if backlog == 0 and sock is not None and transport.connected and not transport._writeDisconnected:
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = 0  # Twisted notices the broken connection and closes it
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)


def wire_frame(text: str) -> bytes:
    """An unmasked, unfragmented server-to-client text frame (RFC 6455, 5.2),
    built once per event and written to every plain socket as it is."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload


class Hub:
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
            import redis.asyncio as aioredis

            self.redis = aioredis.Redis.from_url(self.url)
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
            _hubs.pop(id(self.loop), None)  # its loop has closed

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
            state = await on_live_thread(_discussion_state)(discussion_id)
            frame = json.dumps({"type": "discussion", "seq": seq, **state})
            await self.fan_out(list(readers), lambda reader: frame)
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
            TIMING_LOG_LEVEL,
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
            if index % YIELD_EVERY == YIELD_EVERY - 1:
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

    # -- revocation
    async def recheck(self, readers: list[Reader], executor: ThreadPoolExecutor = _LIVE_THREAD) -> None:
        readers = [reader for reader in readers if not reader.closed]
        if not readers:
            return
        keys = list({(r.user_id, r.session_key, r.discussion_id) for r in readers})
        verdicts = await on_live_thread(_recheck_all, executor)(keys)
        for reader in readers:
            verdict = verdicts[(reader.user_id, reader.session_key, reader.discussion_id)]
            if verdict is None:
                await self.close(reader, CLOSE_FORBIDDEN)
            else:
                reader.audience = verdict.audience

    async def sweep_sessions(self) -> None:
        signed_in = [r for readers in self.by_discussion.values() for r in readers if r.user_id is not None]
        # In small batches on its own thread: the fan-out goes on meanwhile.
        for start in range(0, len(signed_in), 100):
            await self.recheck(signed_in[start : start + 100], _SWEEP_THREAD)

    # -- presence
    def schedule_presence(self, discussion_id: int) -> None:
        if discussion_id in self.presence_pending:
            return
        self.presence_pending.add(discussion_id)
        self.loop.call_later(PRESENCE_THROTTLE, lambda: self.loop.create_task(self._presence(discussion_id)) and None)

    async def _presence(self, discussion_id: int) -> None:
        self.presence_pending.discard(discussion_id)
        readers = list(self.by_discussion.get(discussion_id, ()))
        changed_here = discussion_id in self.presence_dirty
        self.presence_dirty.discard(discussion_id)
        user_ids = {r.user_id for r in readers if r.user_id is not None}
        visitors = sum(1 for r in readers if r.user_id is None)
        try:
            count = await on_live_thread(presence_count, _SWEEP_THREAD)(discussion_id, user_ids, visitors)
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

    async def _heartbeat(self) -> None:
        last_sweep = time.monotonic()
        while True:
            await asyncio.sleep(PRESENCE_HEARTBEAT)
            for discussion_id in list(self.by_discussion):
                self.schedule_presence(discussion_id)
            if time.monotonic() - last_sweep > SESSION_SWEEP:
                last_sweep = time.monotonic()
                try:
                    await self.sweep_sessions()
                except Exception:
                    logger.warning("live: session sweep failed", exc_info=True)


def _warm_up() -> None:
    """Import and compile what the first event needs, so the first reply is not slow."""
    from django.template.loader import get_template

    import discussions.views  # noqa: F401

    get_template("discussions/_reply.html")


def _recheck_all(keys: list[tuple]) -> dict[tuple, Admission | None]:
    return {key: still_allowed(*key) for key in keys}


def _discussion_state(discussion_id: int) -> dict:
    from discussions.models import Discussion

    discussion = Discussion.objects.filter(pk=discussion_id).only("is_locked").first()
    return {"locked": bool(discussion and discussion.is_locked)}


_hubs: dict[int, Hub] = {}


async def get_hub() -> Hub:
    """This process's hub for the running event loop (tests run several loops in turn)."""
    loop = asyncio.get_running_loop()
    url = redis_url()
    hub = _hubs.get(id(loop))
    if hub is not None and hub.loop is loop and hub.url == url:
        await asyncio.wait_for(hub.ready.wait(), timeout=5)
        return hub
    if hub is not None and hub.loop is loop:
        await hub.stop()
    hub = Hub(loop, url)
    _hubs[id(loop)] = hub
    await hub.start()
    return hub


async def reset_hubs() -> None:
    """For tests: forget the hub of the running loop."""
    hub = _hubs.pop(id(asyncio.get_running_loop()), None)
    if hub is not None:
        await hub.stop()
