"""'I may take days to answer': a member sets it on their profile settings; it shows beside
their name wherever the one author label does (the discussion page, its live frames,
lists, notifications) and on their profile, and never on an anonymous post."""

import re

import pytest

from accounts.models import User
from discussions import services
from discussions.presenters import author_label, reply_html_for_viewer
from discussions.templatetags.authors import SLOW_TO_REPLY
from notifications.services import notify_reply_created

pytestmark = pytest.mark.django_db

PROFILE_FIELDS = {"display_name": "Carol", "bio_visibility": "members", "conditions_visibility": "nobody"}


@pytest.fixture
def slow_carol(other_member) -> User:
    User.objects.filter(pk=other_member.pk).update(slow_to_reply=True)
    other_member.refresh_from_db()
    return other_member


def test_a_member_sets_and_clears_it_on_their_profile_settings(client, other_member):
    client.force_login(other_member)

    page = client.get("/settings/profile/").content.decode()
    assert "I may take days to answer" in page

    assert client.post("/settings/profile/", {**PROFILE_FIELDS, "slow_to_reply": "on"}).status_code == 302
    other_member.refresh_from_db()
    assert other_member.slow_to_reply is True
    assert re.search(
        r'<input type="checkbox" name="slow_to_reply"[^>]*checked', client.get("/settings/profile/").content.decode()
    )

    client.post("/settings/profile/", PROFILE_FIELDS)
    other_member.refresh_from_db()
    assert other_member.slow_to_reply is False


def test_it_shows_beside_their_name_on_replies_and_discussions(client, member, slow_carol, start):
    discussion = start(author=slow_carol, title="Slow days")
    services.reply_create(author=slow_carol, discussion=discussion, body="Still here.")

    page = client.get(discussion.get_absolute_url()).content.decode()

    assert page.count(f'<span class="mark mark-slow">{SLOW_TO_REPLY}</span>') == 2
    assert f'<a href="/u/carol/">Carol</a> <span class="mark mark-slow">{SLOW_TO_REPLY}</span>' in page


def test_it_shows_in_discussion_lists(client, slow_carol, start):
    start(author=slow_carol, title="Slow days")

    page = client.get("/c/mecfs/").content.decode()

    assert SLOW_TO_REPLY in page


def test_it_shows_on_their_profile(client, slow_carol, member):
    assert "May take days to answer" in client.get("/u/carol/").content.decode()
    assert "May take days to answer" not in client.get("/u/alice/").content.decode()


def test_it_never_shows_on_an_anonymous_post(client, member, slow_carol, start):
    discussion = start(author=slow_carol, title="Quietly", is_anonymous=True)
    services.reply_create(author=slow_carol, discussion=discussion, body="Me again.", is_anonymous=True)
    client.force_login(member)

    page = client.get(discussion.get_absolute_url()).content.decode()

    assert SLOW_TO_REPLY not in page
    assert author_label(discussion, member).slow_to_reply is False
    client.force_login(slow_carol)
    assert SLOW_TO_REPLY not in client.get(discussion.get_absolute_url()).content.decode(), "not even to its author"


def test_live_frames_carry_it_as_the_page_does(member, slow_carol, start):
    discussion = start()
    reply = services.reply_create(author=slow_carol, discussion=discussion, body="Hello.")

    html = reply_html_for_viewer(viewer=member, discussion=discussion, number=reply.number)

    assert SLOW_TO_REPLY in html


def test_the_notification_list_shows_it_beside_the_name(client, member, slow_carol, start):
    discussion = start()
    notify_reply_created(services.reply_create(author=slow_carol, discussion=discussion, body="Hi.").pk)
    client.force_login(member)

    page = client.get("/notifications/").content.decode()

    assert "Carol" in page
    assert SLOW_TO_REPLY in page
