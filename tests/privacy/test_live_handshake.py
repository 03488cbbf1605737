"""The live socket joins the matrix: a discussion the viewer may not read is refused
at the handshake with 4403, exactly like a missing one, and no frame carries a canary."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from discussions.live.admission import CLOSE_FORBIDDEN
from spoonful.asgi import application
from tests.helpers.privacy import STATES, VIEWERS, World, allowed, build_world, leaks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_hub")]


@pytest.fixture
def world(user_factory) -> World:
    # The socket reads through another connection, so the world is committed, made for each test.
    return build_world(user_factory)


def _cookie_for(user) -> bytes | None:
    if user is None:
        return None
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _handshake(path: str, cookie: bytes | None) -> tuple[int | None, list[str]]:
    """(close code or None if admitted, frames received)."""
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await comm.connect()
    if not connected:
        return code, []
    output = await comm.receive_output(timeout=3)
    if output["type"] == "websocket.close":
        return output["code"], []
    frames = [output.get("text", "")]
    assert json.loads(frames[0])["type"] == "hello"
    await comm.disconnect()
    return None, frames


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_the_socket_handshake_follows_the_matrix(world, viewer):
    user = None if viewer == "visitor" else world.users[viewer]
    cookie = await sync_to_async(_cookie_for)(user)

    missing_code, _ = await _handshake("/ws/d/999999999/", cookie)
    assert missing_code == CLOSE_FORBIDDEN
    for state in STATES:
        code, frames = await _handshake(f"/ws/d/{world.posts[state].pk}/", cookie)
        if allowed(viewer, state):
            assert code is None, state
        else:
            assert code == missing_code == 4403, state
        assert leaks("".join(frames), world, viewer) == []
