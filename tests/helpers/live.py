"""Drive the live sockets through the real ASGI stack: posts made as the services make
them, sockets opened with a member's session, frames read and closes awaited."""

import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django.utils import timezone

from discussions import events
from discussions.models import Discussion, Reply, Visibility
from spoonful.asgi import application

db = sync_to_async


def make_discussion(author, *, visibility=Visibility.PUBLIC, **fields) -> Discussion:
    return Discussion.objects.create(
        author=author,
        title=fields.pop("title", "Pacing on bad days"),
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=visibility,
        last_activity_at=timezone.now(),
        **fields,
    )


def add_reply(discussion: Discussion, author, body: str = "Rest first.", **fields) -> Reply:
    """A reply as the services make one: numbered, then announced after commit."""
    with transaction.atomic():
        locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
        number = locked.last_reply_number + 1
        Discussion.objects.filter(pk=discussion.pk).update(last_reply_number=number)
        parent = fields.pop("parent", None)
        reply = Reply.objects.create(
            discussion=discussion,
            author=author,
            number=number,
            parent=parent,
            path=(f"{parent.path}." if parent else "") + f"{number:06d}",
            depth=parent.depth + 1 if parent else 0,
            body=body,
            body_html=f"<p>{body}</p>",
            **fields,
        )
        events.reply_created(discussion_id=discussion.pk, number=number)
    return reply


def change_reply(reply: Reply, **fields) -> None:
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(**fields)
        events.reply_changed(discussion_id=reply.discussion_id, number=reply.number)


async def session_cookie_for(user) -> bytes:
    client = Client()
    await db(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def communicator(path: str, cookie: bytes | None = None, origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive(comm: WebsocketCommunicator, timeout: float = 10) -> dict:
    return json.loads(await comm.receive_from(timeout=timeout))


async def receive_type(comm: WebsocketCommunicator, kind: str, timeout: float = 10) -> dict:
    """The next frame of a kind, skipping presence frames that may come between."""
    while True:
        frame = await receive(comm, timeout)
        if frame["type"] == kind:
            return frame
        assert frame["type"] == "presence", f"expected {kind}, got {frame}"


async def follow(discussion_id: int, user=None, cookie: bytes | None = None) -> tuple[WebsocketCommunicator, dict]:
    if user is not None and cookie is None:
        cookie = await session_cookie_for(user)
    comm = communicator(f"/ws/d/{discussion_id}/", cookie)
    connected, _ = await comm.connect()
    assert connected
    hello = await receive(comm)
    assert hello["type"] == "hello", hello
    return comm, hello


async def assert_closed_with(comm: WebsocketCommunicator, code: int, timeout: float = 1.0) -> None:
    """Closed within the timeout, and no other frame came first (presence excepted)."""
    while True:
        output = await comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            assert output.get("code") == code, output
            return
        frame = json.loads(output["text"])
        assert frame["type"] == "presence", f"a frame reached a socket that should be closed: {frame}"


async def refused_with(path: str, cookie: bytes | None = None) -> int:
    comm = communicator(path, cookie)
    connected, code = await comm.connect()
    if not connected:
        return code
    output = await comm.receive_output(timeout=3)
    assert output["type"] == "websocket.close", f"expected a refusal, got {output}"
    return output["code"]


async def next_presence(comm: WebsocketCommunicator, timeout: float = 3) -> int:
    while True:
        frame = await receive(comm, timeout)
        if frame["type"] == "presence":
            return frame["reading"]


async def presence_becomes(comm: WebsocketCommunicator, expected: int, timeout: float = 3) -> None:
    seen = []
    while expected not in seen:
        seen.append(await next_presence(comm, timeout))
