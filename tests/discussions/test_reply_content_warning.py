"""Issue 11, item 18: a reply can carry a content warning, and it is folded wherever a
discussion's warning is folded: the page, live frames, catch-up, emails and lists."""

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.test import Client

from discussions import drafts, services
from discussions.models import Reply, Visibility
from notifications.models import Notification, NotificationPreference
from notifications.preferences import preference_set
from notifications.services import notify_reply_created
from spoonful.asgi import application

WARNING = "graphic medical detail"
FOLDED = re.compile(
    r'<details class="content-warning"><summary>Content warning: graphic medical detail</summary>'
    r'<div class="post-body"><p>The drain came out[^<]*</p>'
)


@pytest.fixture
def as_other(other_member) -> Client:
    client = Client()
    client.force_login(other_member)
    return client


def _reply(author, discussion, **fields) -> Reply:
    return services.reply_create(
        author=author, discussion=discussion, body="The drain came out today.", content_warning=WARNING, **fields
    )


@pytest.mark.django_db
def test_a_reply_posted_with_a_content_warning_is_folded_on_the_page(as_other, start):
    discussion = start()

    response = as_other.post(
        f"/d/{discussion.pk}/reply/", {"body": "The drain came out today.", "content_warning": f"  {WARNING} "}
    )

    assert response.status_code == 302
    assert Reply.objects.get().content_warning == WARNING
    assert FOLDED.search(Client().get(discussion.get_absolute_url()).content.decode())


@pytest.mark.django_db
def test_the_reply_form_offers_a_content_warning(as_other, start):
    html = as_other.get(start().get_absolute_url()).content.decode()

    assert 'name="content_warning"' in html
    assert "Content warning (optional)" in html


@pytest.mark.django_db
def test_a_content_warning_too_long_is_a_form_error_and_the_reply_is_kept(as_other, start):
    discussion = start()

    response = as_other.post(f"/d/{discussion.pk}/reply/", {"body": "Kept word for word.", "content_warning": "x" * 81})

    html = response.content.decode()
    assert response.status_code == 400
    assert "content warning" in html.lower()
    assert "Kept word for word." in html
    assert not Reply.objects.exists()


@pytest.mark.django_db
def test_catch_up_fragments_and_json_keep_the_reply_folded(other_member, start):
    discussion = start()
    _reply(other_member, discussion)

    fragment = Client().get(f"/d/{discussion.pk}/replies/?after=0").content.decode()
    document = Client().get(f"/d/{discussion.pk}/replies/?after=0", HTTP_ACCEPT="application/json").json()

    assert FOLDED.search(fragment)
    assert FOLDED.search(document["replies"][0]["html"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_hub")
async def test_a_live_frame_keeps_the_reply_folded(transport, member, other_member, mecfs):
    discussion = await sync_to_async(services.discussion_create)(
        author=member, title="Drains", body="After surgery", hashtags=["mecfs"], visibility=Visibility.PUBLIC
    )
    comm = WebsocketCommunicator(
        application, f"/ws/d/{discussion.pk}/", headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")]
    )
    connected, _ = await comm.connect()
    assert connected
    try:
        # Joined once the hello arrives: a reply committed before that is in the hello's
        # last_number (the page catches up over HTTP), not in a frame.
        assert json.loads(await comm.receive_from(timeout=10))["type"] == "hello"
        await sync_to_async(_reply)(other_member, discussion)
        while True:
            frame = json.loads(await comm.receive_from(timeout=10))
            if frame["type"] == "reply.created":
                break
        assert FOLDED.search(frame["html"])
    finally:
        await comm.disconnect()


@pytest.mark.django_db
def test_the_notification_email_leaves_out_the_title_of_a_reply_behind_a_warning(
    member, other_member, start, django_capture_on_commit_callbacks
):
    preference_set(
        user=member,
        kind=Notification.Kind.REPLY_TO_DISCUSSION,
        in_app=True,
        email=NotificationPreference.Email.IMMEDIATE,
    )
    discussion = start(title="Recovering from surgery")

    with django_capture_on_commit_callbacks(execute=True):
        _reply(other_member, discussion)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Recovering from surgery" not in message.subject + message.body + message.alternatives[0][0]
    assert "drain" not in message.body + message.alternatives[0][0]


@pytest.mark.django_db
def test_the_in_app_notification_names_the_replys_warning(member, other_member, start):
    discussion = start(title="Recovering from surgery")
    _reply(other_member, discussion)
    notify_reply_created(Reply.objects.get().pk)
    client = Client()
    client.force_login(member)

    html = client.get("/notifications/").content.decode()

    assert f"Content warning: {WARNING}" in html


@pytest.mark.django_db
def test_the_profile_list_names_the_replys_warning(other_member, start):
    _reply(other_member, start())

    html = Client().get(f"/u/{other_member.username}/").content.decode()

    assert f"Content warning: {WARNING}" in html


@pytest.mark.django_db
def test_the_author_can_add_or_change_the_warning_when_editing(as_other, other_member, start):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="The drain came out today.")

    response = as_other.post(
        f"/d/{discussion.pk}/replies/{reply.number}/edit/",
        {"body": "The drain came out today.", "content_warning": WARNING},
    )

    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.content_warning == WARNING
    assert FOLDED.search(Client().get(discussion.get_absolute_url()).content.decode())


@pytest.mark.django_db
def test_a_reply_draft_keeps_its_content_warning(as_other, other_member, start):
    discussion = start()

    saved = as_other.post(f"/drafts/reply-{discussion.pk}/", {"body": "Half written", "content_warning": WARNING})

    assert saved.status_code == 200
    assert drafts.draft_get(other_member, drafts.reply_key(discussion.pk)).content_warning == WARNING
    assert f'value="{WARNING}"' in as_other.get(discussion.get_absolute_url()).content.decode()
