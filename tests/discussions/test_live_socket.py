"""The discussion socket (/ws/d/<id>/) through the real ASGI stack, on both transports.

"memory" is the default single process (events go straight to the process's
hub); "redis" publishes through Redis pub/sub as several processes would.
"""

import asyncio
import json
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from discussions import consumers, events
from discussions.live import admission, presence, sockets, timing
from discussions.live import transport as live_transport
from discussions.live.hub import get_hub
from discussions.models import Discussion, Reply, Visibility
from tests.helpers.live import (
    add_reply,
    assert_closed_with,
    change_reply,
    communicator,
    db,
    follow,
    make_discussion,
    next_presence,
    presence_becomes,
    receive,
    receive_type,
    refused_with,
    session_cookie_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_hub")]


# --- Events ----------------------------------------------------------------------------


async def test_a_reader_receives_a_new_reply_rendered_with_its_number(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    comm, hello = await follow(discussion.pk, other_member)
    assert hello["last_number"] == 0 and hello["locked"] is False

    await db(add_reply)(discussion, member, "Rest first, then walk.")

    frame = await receive_type(comm, "reply.created")
    assert frame["number"] == 1 and frame["parent"] is None
    assert frame["seq"] == hello["seq"] + 1
    assert "Rest first, then walk." in frame["html"]
    assert 'id="reply-1"' in frame["html"]
    await comm.disconnect()


async def test_a_nested_reply_names_its_parent(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    first = await db(add_reply)(discussion, member)
    comm, _ = await follow(discussion.pk, other_member)

    await db(add_reply)(discussion, other_member, "Agreed.", parent=first)

    frame = await receive_type(comm, "reply.created")
    assert (frame["number"], frame["parent"]) == (2, 1)
    await comm.disconnect()


async def test_an_edit_is_pushed_with_the_new_text(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    reply = await db(add_reply)(discussion, member, "Frist")
    comm, _ = await follow(discussion.pk, other_member)

    await db(change_reply)(reply, body="First", body_html="<p>First, edited</p>", edited_at=timezone.now())

    frame = await receive_type(comm, "reply.changed")
    assert frame["number"] == 1 and frame["tombstone"] is False
    assert "First, edited" in frame["html"]
    await comm.disconnect()


async def test_a_removed_reply_becomes_a_tombstone_without_its_content(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    reply = await db(add_reply)(discussion, member, "Buy my miracle cure")
    comm, _ = await follow(discussion.pk, other_member)

    await db(change_reply)(reply, status=Reply.Status.REMOVED, removal_guideline=3)

    frame = await receive_type(comm, "reply.changed")
    assert frame["tombstone"] is True
    assert "miracle cure" not in frame["html"]
    await comm.disconnect()


async def test_a_restored_reply_comes_back_with_its_content(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    reply = await db(add_reply)(discussion, member, "Pace yourself", status=Reply.Status.REMOVED)
    comm, _ = await follow(discussion.pk, other_member)

    await db(change_reply)(reply, status=Reply.Status.PUBLISHED)

    frame = await receive_type(comm, "reply.changed")
    assert frame["tombstone"] is False and "Pace yourself" in frame["html"]
    await comm.disconnect()


async def test_a_reply_hidden_for_review_is_taken_out_of_readers_pages(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    reply = await db(add_reply)(discussion, member, "Borderline")
    comm, _ = await follow(discussion.pk, other_member)

    await db(change_reply)(reply, status=Reply.Status.HIDDEN)

    frame = await receive_type(comm, "reply.gone")
    assert frame["number"] == 1 and "html" not in frame
    await comm.disconnect()


async def test_locking_and_unlocking_reach_readers(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    comm, hello = await follow(discussion.pk, other_member)

    def set_locked(value: bool) -> None:
        with transaction.atomic():
            Discussion.objects.filter(pk=discussion.pk).update(is_locked=value)
            events.discussion_changed(discussion_id=discussion.pk)

    await db(set_locked)(True)
    locked = await receive_type(comm, "discussion")
    await db(set_locked)(False)
    unlocked = await receive_type(comm, "discussion")

    assert (locked["locked"], unlocked["locked"]) == (True, False)
    assert unlocked["seq"] == locked["seq"] + 1 == hello["seq"] + 2
    await comm.disconnect()


async def test_the_hello_says_when_the_discussion_is_locked(transport, member):
    discussion = await db(make_discussion)(member, is_locked=True)
    comm, hello = await follow(discussion.pk, member)
    assert hello["locked"] is True
    await comm.disconnect()


async def test_a_rolled_back_reply_is_never_announced(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    comm, hello = await follow(discussion.pk, other_member)

    def post_then_fail() -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            add_reply(discussion, member, "never happened")
            raise RuntimeError("the request failed after the insert")

    await db(post_then_fail)()
    await db(add_reply)(discussion, member, "this one did")

    frame = await receive_type(comm, "reply.created")
    assert "this one did" in frame["html"]
    assert frame["seq"] == hello["seq"] + 1  # nothing was published for the rolled-back one
    await comm.disconnect()


async def test_every_reader_gets_each_reply_once_in_order(transport, member, other_member, outsider):
    discussion = await db(make_discussion)(member)
    readers = [(await follow(discussion.pk, user))[0] for user in (member, other_member, outsider)]

    for index in range(5):
        await db(add_reply)(discussion, member, f"reply {index}")

    for comm in readers:
        numbers = [(await receive_type(comm, "reply.created"))["number"] for _ in range(5)]
        assert numbers == [1, 2, 3, 4, 5]
        await comm.disconnect()


# --- Who receives what --------------------------------------------------------------------


async def test_an_anonymous_replys_author_is_never_in_a_members_frame(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    comm, _ = await follow(discussion.pk, other_member)
    author_comm, _ = await follow(discussion.pk, member)

    await db(add_reply)(discussion, member, "I struggle too", is_anonymous=True)

    frame = await receive_type(comm, "reply.created")
    raw = json.dumps(frame)
    assert "Anonymous member" in frame["html"]
    assert member.username not in raw and member.display_name not in raw
    assert str(member.email) not in raw
    own = await receive_type(author_comm, "reply.created")
    assert "I struggle too" in own["html"]
    await comm.disconnect()
    await author_comm.disconnect()


async def test_a_signed_out_visitor_may_follow_a_public_discussion(transport, member):
    discussion = await db(make_discussion)(member, visibility=Visibility.PUBLIC)
    comm, _ = await follow(discussion.pk)

    await db(add_reply)(discussion, member, "Welcome")

    assert "Welcome" in (await receive_type(comm, "reply.created"))["html"]
    await comm.disconnect()


async def test_a_held_reply_reaches_its_author_only(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    author_comm, _ = await follow(discussion.pk, other_member)
    reader_comm, _ = await follow(discussion.pk, member)

    await db(add_reply)(discussion, other_member, "first post, held", status=Reply.Status.HELD)

    own = await receive_type(author_comm, "reply.created")
    assert "first post, held" in own["html"]
    other = await receive_type(reader_comm, "seq")
    assert other["seq"] == own["seq"] and "html" not in other
    await author_comm.disconnect()
    await reader_comm.disconnect()


# --- Refusals -----------------------------------------------------------------------------------


async def test_a_missing_discussion_is_refused_with_4403(transport, member):
    assert await refused_with("/ws/d/999999/", await session_cookie_for(member)) == 4403


async def test_a_forbidden_discussion_is_refused_with_the_same_4403(transport, member, outsider):
    from taggit.models import Tag

    from community.models import Community

    def private_discussion() -> Discussion:
        tag = Tag.objects.create(name="secretclub", slug="secretclub")
        Community.objects.create(slug="secretclub", tag=tag, name="Secret", policy=Community.Policy.PRIVATE)
        discussion = make_discussion(member, visibility=Visibility.COMMUNITY)
        discussion.tags.add(tag)
        return discussion

    discussion = await db(private_discussion)()
    assert await refused_with(f"/ws/d/{discussion.pk}/", await session_cookie_for(outsider)) == 4403


async def test_a_signed_out_visitor_is_refused_a_members_only_discussion(transport, member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    assert await refused_with(f"/ws/d/{discussion.pk}/") == 4403


async def test_a_foreign_origin_is_refused_before_anything_else(transport, member):
    discussion = await db(make_discussion)(member)
    comm = communicator(f"/ws/d/{discussion.pk}/", await session_cookie_for(member), origin=b"https://evil.example")
    connected, _ = await comm.connect()
    assert not connected


# --- Abuse ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "x" * 5000}, 1009),
        ({"text_data": "{not json"}, 1007),
        ({"text_data": '"a string"'}, 1007),
        ({"text_data": '{"type": "post", "body": "hi"}'}, 1007),
        ({"bytes_data": b"\x00\x01"}, 1003),
    ],
)
async def test_a_misbehaving_client_is_closed_with_a_standard_code(transport, member, other_member, frame, code):
    discussion = await db(make_discussion)(member)
    bystander, _ = await follow(discussion.pk, other_member)
    comm, _ = await follow(discussion.pk, member)

    await comm.send_to(**frame)

    await assert_closed_with(comm, code)
    # The others are untouched.
    await db(add_reply)(discussion, member, "still here")
    assert "still here" in (await receive_type(bystander, "reply.created"))["html"]
    await bystander.disconnect()


async def test_a_ping_gets_a_pong(transport, member):
    discussion = await db(make_discussion)(member)
    comm, _ = await follow(discussion.pk, member)
    await comm.send_to(text_data='{"type": "ping"}')
    assert (await receive_type(comm, "pong"))["type"] == "pong"
    await comm.disconnect()


async def test_one_member_cannot_hold_more_than_the_socket_cap(transport, monkeypatch, member, other_member):
    monkeypatch.setattr(admission, "MAX_SOCKETS_PER_MEMBER", 3)
    discussion = await db(make_discussion)(member)
    cookie = await session_cookie_for(member)
    mine = [(await follow(discussion.pk, cookie=cookie))[0] for _ in range(3)]

    assert await refused_with(f"/ws/d/{discussion.pk}/", cookie) == 4429
    other, _ = await follow(discussion.pk, other_member)  # others are not affected
    await mine[0].disconnect()
    again, _ = await follow(discussion.pk, cookie=cookie)  # a closed socket frees its place

    for comm in [*mine[1:], other, again]:
        await comm.disconnect()


async def test_a_socket_that_floods_frames_is_closed_with_1008_and_others_keep_working(transport, member):
    discussion = await db(make_discussion)(member)
    bystander, _ = await follow(discussion.pk)
    flooder, _ = await follow(discussion.pk)

    # A page pings every 25 seconds; a burst of pings far faster than that is abuse.
    for _ in range(consumers.FRAME_BURST * 3):
        await flooder.send_to(text_data='{"type": "ping"}')

    pongs = 0
    while True:
        output = await flooder.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            assert output["code"] == 1008
            break
        pongs += json.loads(output["text"])["type"] == "pong"
    assert pongs <= consumers.FRAME_BURST
    await db(add_reply)(discussion, member, "still here")
    assert "still here" in (await receive_type(bystander, "reply.created"))["html"]
    await bystander.disconnect()


async def test_an_unhurried_client_can_ping_for_as_long_as_it_likes(transport, monkeypatch, member):
    monkeypatch.setattr(consumers, "FRAME_RATE", 1000.0)  # a day of pings, compressed
    discussion = await db(make_discussion)(member)
    comm, _ = await follow(discussion.pk)
    for _ in range(consumers.FRAME_BURST * 3):
        await comm.send_to(text_data='{"type": "ping"}')
        assert (await receive_type(comm, "pong"))["type"] == "pong"
        await asyncio.sleep(0.005)
    await comm.disconnect()


def visitor(path: str, address: str, port: int, forwarded_for: str | None = None) -> WebsocketCommunicator:
    comm = communicator(path)
    if forwarded_for is not None:
        comm.scope["headers"].append((b"x-forwarded-for", forwarded_for.encode()))
    comm.scope["client"] = [address, port]  # read when the application first runs
    return comm


async def open_visitor(path: str, address: str, port: int, forwarded_for: str | None = None) -> WebsocketCommunicator:
    comm = visitor(path, address, port, forwarded_for)
    connected, _ = await comm.connect()
    assert connected
    assert (await receive(comm))["type"] == "hello"
    return comm


async def refused_visitor(path: str, address: str, port: int, forwarded_for: str | None = None) -> int:
    comm = visitor(path, address, port, forwarded_for)
    connected, code = await comm.connect()
    if not connected:
        return code
    output = await comm.receive_output(timeout=3)
    assert output["type"] == "websocket.close", f"expected a refusal, got {output}"
    return output["code"]


async def test_one_address_cannot_hold_more_than_the_visitor_socket_cap(transport, monkeypatch, member):
    monkeypatch.setattr(admission, "MAX_VISITOR_SOCKETS_PER_ADDRESS", 3)
    discussion = await db(make_discussion)(member)
    path = f"/ws/d/{discussion.pk}/"
    mine = [await open_visitor(path, "198.51.100.7", 40000 + n) for n in range(3)]

    assert await refused_visitor(path, "198.51.100.7", 40010) == 4429
    elsewhere = await open_visitor(path, "198.51.100.8", 40000)  # another address is not affected
    signed_in, _ = await follow(discussion.pk, member)  # nor are members, who have their own cap
    await mine[0].disconnect()
    again = await open_visitor(path, "198.51.100.7", 40011)  # a closed socket frees its place

    for comm in [*mine[1:], elsewhere, signed_in, again]:
        await comm.disconnect()


async def test_behind_a_trusted_proxy_visitors_are_capped_by_their_forwarded_address(
    transport, monkeypatch, settings, member
):
    monkeypatch.setattr(admission, "MAX_VISITOR_SOCKETS_PER_ADDRESS", 2)
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    discussion = await db(make_discussion)(member)
    path = f"/ws/d/{discussion.pk}/"
    proxy = "10.1.2.3"  # every socket arrives from the proxy
    first = await open_visitor(path, proxy, 1, forwarded_for="203.0.113.5")
    # A forged entry to the left of what the proxy appended does not make a new visitor.
    second = await open_visitor(path, proxy, 2, forwarded_for="192.0.2.99, 203.0.113.5")

    assert await refused_visitor(path, proxy, 3, forwarded_for="203.0.113.5") == 4429
    others = [await open_visitor(path, proxy, 4 + n, forwarded_for=f"203.0.113.{6 + n}") for n in range(2)]

    for comm in [first, second, *others]:
        await comm.disconnect()


# --- Presence --------------------------------------------------------------------------------------


async def test_presence_counts_distinct_signed_in_readers(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    first, _ = await follow(discussion.pk, member)
    assert await next_presence(first) == 1

    second_tab, _ = await follow(discussion.pk, member)  # the same member again: still one reader
    other, _ = await follow(discussion.pk, other_member)
    assert await next_presence(other) == 2

    await other.disconnect()
    await presence_becomes(first, 1)
    await first.disconnect()
    await second_tab.disconnect()


async def test_presence_decays_when_another_process_stops_refreshing(transport, monkeypatch, member, user_factory):
    """A process that died leaves an entry that expires on its own."""
    from django.core.cache import cache

    monkeypatch.setattr(timing, "PRESENCE_HEARTBEAT", 0.2)
    discussion = await db(make_discussion)(member)
    ghost = await db(user_factory)("ghost")
    procs_key, prefix = presence._presence_keys(discussion.pk)
    expires = time.time() + 0.8

    def plant_dead_process() -> None:
        cache.set(procs_key, {"dead-process": expires}, 60)
        cache.set(prefix + "dead-process", {"u": [ghost.pk], "v": 0, "x": expires}, 60)

    await db(plant_dead_process)()
    comm, _ = await follow(discussion.pk, member)

    assert await next_presence(comm) == 2
    assert await next_presence(comm, timeout=3) == 1
    await comm.disconnect()


async def test_presence_survives_a_cache_outage(transport, monkeypatch, member):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(presence, "presence_count", broken)
    discussion = await db(make_discussion)(member)
    comm, _ = await follow(discussion.pk, member)
    await db(add_reply)(discussion, member, "still live")
    assert "still live" in (await receive_type(comm, "reply.created"))["html"]
    await comm.disconnect()


# --- The transport failing -----------------------------------------------------------------------


async def test_posting_succeeds_and_logs_when_the_transport_is_down(transport, monkeypatch, member, caplog):
    def down(event):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(live_transport, "publish", down)
    discussion = await db(make_discussion)(member)

    reply = await db(add_reply)(discussion, member, "saved anyway")

    assert await db(Reply.objects.filter(pk=reply.pk).exists)()
    assert "could not be sent" in caplog.text


async def test_a_slow_reader_is_dropped_behind_not_waited_for(transport, monkeypatch, member, other_member):
    """A reader whose socket buffer is full gets no more frames (it will see the
    seq gap and catch up); everyone else is served without waiting."""
    discussion = await db(make_discussion)(member)
    slow, _ = await follow(discussion.pk, member)
    fast, _ = await follow(discussion.pk, other_member)
    hub = await get_hub()
    slow_reader = next(r for r in hub.by_discussion[discussion.pk] if r.user_id == member.pk)

    class FullBuffer:
        state = STATE_OPEN = 1
        transport = None

        def sendMessage(self, payload, binary):
            raise AssertionError("a frame was written to a reader over its limit")

    slow_reader.protocol = FullBuffer()
    monkeypatch.setattr(
        sockets.Reader, "backlog", lambda self: sockets.DROP_BACKLOG_BYTES + 1 if self is slow_reader else 0
    )

    await db(add_reply)(discussion, member, "for the fast one")

    assert "for the fast one" in (await receive_type(fast, "reply.created"))["html"]
    await asyncio.sleep(0.1)
    assert slow_reader.dropped >= 1
    await fast.disconnect()
    await slow.disconnect()


async def test_a_reader_far_behind_is_closed(transport, monkeypatch, member, other_member):
    discussion = await db(make_discussion)(member)
    slow, _ = await follow(discussion.pk, member)
    fast, _ = await follow(discussion.pk, other_member)
    hub = await get_hub()
    slow_reader = next(r for r in hub.by_discussion[discussion.pk] if r.user_id == member.pk)
    slow_reader.protocol = object()  # never written to: over the close limit
    monkeypatch.setattr(
        sockets.Reader, "backlog", lambda self: sockets.CLOSE_BACKLOG_BYTES + 1 if self is slow_reader else 0
    )

    await db(add_reply)(discussion, member, "go on without them")

    assert "go on without them" in (await receive_type(fast, "reply.created"))["html"]
    await assert_closed_with(slow, 4408)
    await fast.disconnect()


async def test_posting_succeeds_when_redis_does_not_answer(member, caplog):
    discussion = await db(make_discussion)(member)
    unreachable = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    client = Client()
    await db(client.force_login)(member)

    with override_settings(CHANNEL_LAYERS=unreachable):
        response = await db(client.post)(f"/d/{discussion.pk}/reply/", {"body": "saved while Redis is down"})

    assert response.status_code == 302
    assert await db(Reply.objects.filter(discussion=discussion, body="saved while Redis is down").exists)()
    assert "could not be sent" in caplog.text


async def test_a_reply_posted_through_the_form_reaches_followers(transport, member, other_member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    comm, _ = await follow(discussion.pk, other_member)
    client = Client()
    await db(client.force_login)(member)

    response = await db(client.post)(f"/d/{discussion.pk}/reply/", {"body": "Through the real endpoint"})

    assert response.status_code == 302
    frame = await receive_type(comm, "reply.created")
    assert frame["number"] == 1 and "Through the real endpoint" in frame["html"]
    await comm.disconnect()
