"""A member who may not reply is told why, and until when, in plain words, on the
discussion page and when a reply they typed is refused (their text stays in the box)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Membership
from discussions.models import Discussion, Visibility
from discussions.selectors import reply_refusal
from moderation.member_actions import member_ban, member_mute, member_suspend
from moderation.models import KeywordRule
from moderation.services import discussion_lock


@pytest.fixture
def mecfs_moderator(user_factory, mecfs, add_member):
    user = user_factory("sam", display_name="Sam", two_factor=True)
    add_member(user, mecfs, role=Membership.Role.MODERATOR)
    return user


@pytest.fixture
def joined(member, other_member, mecfs, add_member):
    add_member(member, mecfs)
    add_member(other_member, mecfs)
    return member, other_member


def page(client, discussion) -> str:
    response = client.get(discussion.get_absolute_url())
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_it_tells_the_author_of_a_held_discussion_that_replies_open_once_a_moderator_approves_it(client, joined, mecfs):
    author, _ = joined
    KeywordRule.objects.create(community=mecfs, pattern="ivermectin", action=KeywordRule.Action.HOLD)
    held = Discussion.objects.get(
        pk=_start(author, body="Has anyone tried ivermectin?", visibility=Visibility.COMMUNITY).pk
    )
    assert held.status == Discussion.Status.HELD

    client.force_login(author)
    html = page(client, held)
    assert "You cannot reply to this discussion." not in html
    assert "waiting for a moderator" in html and "Replies open once it is approved" in html


def test_it_tells_a_muted_member_why_they_cannot_reply_and_until_when(client, joined, mecfs, mecfs_moderator):
    author, other = joined
    discussion = _start(author)
    member_mute(acting_user=mecfs_moderator, user=other, community=mecfs, days=3, reason="Shouting")
    until = timezone.localtime(timezone.now() + timedelta(days=3))

    client.force_login(other)
    html = page(client, discussion)
    assert "You cannot reply to this discussion." not in html
    assert "muted you in #mecfs" in html and f"until {until:%-d %B %Y}" in html

    # The refused reply keeps what they typed and says the same.
    response = client.post(f"/d/{discussion.pk}/reply/", {"body": "My careful words about pacing"})
    text = " ".join(response.content.decode().split())
    assert response.status_code == 403
    assert "My careful words about pacing" in text and "muted you in #mecfs" in text


def test_it_tells_a_suspended_member_until_when(client, joined, staff):
    author, other = joined
    discussion = _start(author)
    member_suspend(acting_user=staff, user=other, days=10, reason="Spam")
    until = timezone.localtime(timezone.now() + timedelta(days=10))

    client.force_login(other)
    html = page(client, discussion)
    assert "You cannot reply to this discussion." not in html
    assert "suspended" in html and f"until {until:%-d %B %Y}" in html


def test_it_tells_a_banned_member_and_says_when_a_ban_ends(joined, mecfs, mecfs_moderator):
    author, other = joined
    discussion = _start(author)
    member_ban(acting_user=mecfs_moderator, user=other, community=mecfs, days=5)
    until = timezone.localtime(timezone.now() + timedelta(days=5))
    refusal = reply_refusal(other, discussion)
    assert "banned you from #mecfs" in refusal and f"until {until:%-d %B %Y}" in refusal


def test_it_tells_everyone_a_locked_discussion_takes_no_replies(client, joined, mecfs_moderator):
    author, other = joined
    discussion = _start(author)
    discussion_lock(acting_user=mecfs_moderator, discussion=discussion)
    client.force_login(other)
    assert "locked" in page(client, discussion)
    assert "locked" in reply_refusal(other, discussion)


def test_a_member_who_may_reply_gets_no_refusal(joined):
    author, other = joined
    assert reply_refusal(other, _start(author)) is None


def _start(author, **fields) -> Discussion:
    from discussions import services

    fields.setdefault("title", "Pacing on bad days")
    fields.setdefault("body", "What helps you pace when everything hurts?")
    fields.setdefault("visibility", Visibility.PUBLIC)
    return services.discussion_create(author=author, hashtags=["mecfs"], **fields)
