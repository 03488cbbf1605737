"""The reply POST returns once the reply is committed and its event published: rendering
for each audience and the fan-out happen in the hub (the socket processes), never on the
POST's thread or before its response. Proved by holding the hub's render until the
response has arrived, on both transports, and by watching what a POST served by a plain
WSGI worker does."""

import threading

import pytest
from django.test import AsyncClient, Client

from discussions import presenters
from discussions.live import frames, transport
from discussions.live import hub as hub_module
from tests.helpers.environment import redis_url_or_skip
from tests.helpers.live import db, follow, make_discussion, receive_type

RELEASE_TIMEOUT = 30


@pytest.fixture
def held_render(monkeypatch):
    """The hub's reply render, held until ``release`` is set; records where it ran."""
    state = {"release": threading.Event(), "finished": threading.Event(), "threads": []}
    real = hub_module.build_reply_frames

    def held(*args):
        state["threads"].append(threading.current_thread().name)
        state["release"].wait(RELEASE_TIMEOUT)
        try:
            return real(*args)
        finally:
            state["finished"].set()

    monkeypatch.setattr(hub_module, "build_reply_frames", held)
    yield state
    state["release"].set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_hub")
async def test_the_post_answers_while_the_hub_has_not_rendered_the_reply(transport, member, other_member, held_render):
    discussion = await db(make_discussion)(member)
    reader, hello = await follow(discussion.pk, other_member)
    poster = AsyncClient()
    await poster.aforce_login(member)

    response = await poster.post(f"/d/{discussion.pk}/reply/", {"body": "Rest before the walk, not after."})

    assert response.status_code == 302
    # Had the POST rendered for the audiences, or waited for the hub, this render would
    # have been held until RELEASE_TIMEOUT and have finished before the response.
    assert not held_render["finished"].is_set()
    held_render["release"].set()
    frame = await receive_type(reader, "reply.created")
    assert "Rest before the walk" in frame["html"]
    assert frame["seq"] == hello["seq"] + 1
    assert all(name.startswith("live") for name in held_render["threads"])
    await reader.disconnect()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["", "redis"], ids=["memory", "redis"])
def test_a_post_served_by_a_wsgi_worker_only_publishes(
    member, other_member, monkeypatch, django_capture_on_commit_callbacks, url
):
    """No socket is held here (as in a gunicorn worker): the event is handed to the
    transport and nothing is rendered for any audience."""
    if url:
        monkeypatch.setattr(transport, "redis_url", redis_url_or_skip)
    published, rendered = [], []
    real_publish = transport.publish
    monkeypatch.setattr(transport, "publish", lambda event: (published.append(event), real_publish(event)))
    monkeypatch.setattr(presenters, "render_reply_html", lambda *args, **kwargs: rendered.append(args))
    monkeypatch.setattr(frames, "build_reply_frames", lambda *args: rendered.append(args))
    monkeypatch.setattr(hub_module, "build_reply_frames", lambda *args: rendered.append(args))
    discussion = make_discussion(member)
    client = Client()
    client.force_login(other_member)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/d/{discussion.pk}/reply/", {"body": "Pace, then rest."})

    assert response.status_code == 302
    assert published == [{"type": "reply.created", "discussion_id": discussion.pk, "number": 1}]
    assert rendered == []
