"""Retention in discussions (DA-07): stale drafts go, tombstones lose their words, unused hashtags go."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from taggit.models import Tag

from community.models import Membership
from discussions import services
from discussions.models import Discussion, DiscussionTag, Draft, Reply, Revision
from discussions.retention import (
    DELETED_POST_RETENTION_DAYS,
    DRAFT_RETENTION_DAYS,
    REMOVED_POST_RETENTION_DAYS,
    draft_delete_stale,
    hashtag_delete_unused,
    tombstone_purge_expired,
)
from discussions.search import search_index_update
from moderation.appeals import appeal_create, appeal_decide
from moderation.post_actions import post_remove, post_restore

pytestmark = pytest.mark.django_db


def _days_from_now(days: float):
    return timezone.now() + timedelta(days=days)


def _words(post: Discussion | Reply) -> dict:
    post.refresh_from_db()
    words = {"body": post.body, "body_html": post.body_html, "content_warning": post.content_warning}
    if isinstance(post, Discussion):
        words["title"] = post.title
    return words


def _index_updates(callbacks) -> list[int]:
    return [callback.args[0] for callback in callbacks if getattr(callback, "func", None) is search_index_update]


@pytest.fixture
def mod(moderator, mecfs, add_member):
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    return moderator


@pytest.fixture
def answer(start, other_member):
    """``answer(discussion, body)``: a reply by another member, with a content warning."""

    def make(discussion: Discussion, body: str = "Rest before you crash, every time.") -> Reply:
        return services.reply_create(author=other_member, discussion=discussion, body=body, content_warning="Pain")

    return make


# --- Drafts -------------------------------------------------------------------------


def test_a_draft_not_saved_for_90_days_is_deleted_and_a_younger_one_stays(member, other_member):
    old = Draft.objects.create(user=member, key="new", title="Half a thought")
    young = Draft.objects.create(user=other_member, key="new", title="Still writing")
    now = _days_from_now(DRAFT_RETENTION_DAYS)
    Draft.objects.filter(pk=old.pk).update(updated_at=now - timedelta(days=DRAFT_RETENTION_DAYS, seconds=1))
    Draft.objects.filter(pk=young.pk).update(updated_at=now - timedelta(days=DRAFT_RETENTION_DAYS - 1))

    assert draft_delete_stale(now=now) == 1
    assert draft_delete_stale(now=now) == 0
    assert list(Draft.objects.values_list("pk", flat=True)) == [young.pk]


# --- Tombstones ---------------------------------------------------------------------


def test_a_discussion_its_author_deleted_loses_its_words_after_30_days(
    start, member, django_capture_on_commit_callbacks
):
    discussion = start(title="My diagnosis story", body="First draft", content_warning="Needles")
    services.discussion_edit(acting_user=member, discussion=discussion, title="My diagnosis story", body="Rewritten")
    legacy = Tag.objects.create(name="myrareword", slug="myrareword")
    DiscussionTag.objects.create(content_object=discussion, tag=legacy)
    services.discussion_delete_by_author(acting_user=member, discussion=discussion)

    assert tombstone_purge_expired(now=_days_from_now(DELETED_POST_RETENTION_DAYS - 1)) == 0
    assert _words(discussion)["title"] == "My diagnosis story"

    with django_capture_on_commit_callbacks() as callbacks:
        assert tombstone_purge_expired(now=_days_from_now(DELETED_POST_RETENTION_DAYS + 1)) == 1

    assert _words(discussion) == {"title": "", "body": "", "body_html": "", "content_warning": ""}
    assert discussion.status == Discussion.Status.DELETED
    assert not Revision.objects.filter(discussion=discussion).exists()
    # Its community stays (moderators' scope); the hashtag its author typed goes.
    assert list(discussion.tags.values_list("name", flat=True)) == ["mecfs"]
    assert _index_updates(callbacks) == [discussion.pk]


def test_a_second_run_changes_nothing(start, member, answer, django_capture_on_commit_callbacks):
    discussion = start()
    reply = answer(discussion)
    services.reply_delete_by_author(acting_user=reply.author, reply=reply)
    services.discussion_delete_by_author(acting_user=member, discussion=discussion)
    later = _days_from_now(DELETED_POST_RETENTION_DAYS + 1)
    assert tombstone_purge_expired(now=later) == 2

    with django_capture_on_commit_callbacks() as callbacks:
        assert tombstone_purge_expired(now=later) == 0
    assert _index_updates(callbacks) == []


def test_a_deleted_reply_keeps_its_place_and_readers_see_the_same_tombstone(start, answer, other_member, user_factory):
    discussion = start()
    reply = answer(discussion, body="The words I regret")
    services.reply_edit(acting_user=other_member, reply=reply, body="The words I regret, edited")
    services.reply_delete_by_author(acting_user=other_member, reply=reply)
    reader = Client()
    reader.force_login(user_factory("dana"))

    def tombstone_as_read() -> str:
        page = reader.get(discussion.get_absolute_url()).content.decode()
        return re.search(rf'<article [^>]*id="reply-{reply.number}".*?</article>', page, re.S).group(0)

    before = tombstone_as_read()
    assert "regret" not in before
    assert tombstone_purge_expired(now=_days_from_now(DELETED_POST_RETENTION_DAYS + 1)) == 1

    assert tombstone_as_read() == before
    assert _words(reply) == {"body": "", "body_html": "", "content_warning": ""}
    assert (reply.status, reply.number) == (Reply.Status.DELETED, 1)
    assert not Revision.objects.filter(reply=reply).exists()
    assert Discussion.objects.get(pk=discussion.pk).body == "What helps you pace when everything hurts?"


def test_a_removed_post_keeps_its_words_for_90_days_and_while_an_appeal_is_open(start, answer, mod):
    reply = answer(start())
    action = post_remove(acting_user=mod, post=reply, guideline=2, reason="Medical advice")

    assert tombstone_purge_expired(now=_days_from_now(DELETED_POST_RETENTION_DAYS + 1)) == 0
    assert tombstone_purge_expired(now=_days_from_now(REMOVED_POST_RETENTION_DAYS - 1)) == 0
    appeal = appeal_create(appellant=reply.author, action=action, text="It was my own experience")
    after_the_period = _days_from_now(REMOVED_POST_RETENTION_DAYS + 1)
    assert tombstone_purge_expired(now=after_the_period) == 0
    assert _words(reply)["body"] == "Rest before you crash, every time."

    appeal_decide(acting_user=mod, appeal=appeal, overturn=False, reason="Guideline 2 stands")
    assert tombstone_purge_expired(now=after_the_period) == 1
    assert _words(reply)["body"] == ""
    reply.refresh_from_db()
    # What the tombstone shows stays: the guideline, and the reason for its author.
    assert (reply.status, reply.removal_guideline, reply.removal_reason) == (Reply.Status.REMOVED, 2, "Medical advice")


def test_moderators_see_that_the_words_are_gone_not_an_empty_link(start, mod, client):
    discussion = start(title="Canarytitle of a removed discussion")
    post_remove(acting_user=mod, post=discussion, guideline=3)
    assert tombstone_purge_expired(now=_days_from_now(REMOVED_POST_RETENTION_DAYS + 1)) == 1
    client.force_login(mod)

    for page in ("/mod/log/", f"/mod/discussion/{discussion.pk}/"):
        html = client.get(page).content.decode()
        assert "whose words are no longer kept" in html, page
        assert "Canarytitle" not in html
        assert not re.search(r"<a [^>]*>\s*</a>", html), page
    assert "Its words are no longer kept." in html


def test_a_post_restored_by_a_moderator_is_no_tombstone_and_keeps_its_words(start, answer, mod):
    reply = answer(start())
    post_remove(acting_user=mod, post=reply)
    post_restore(acting_user=mod, post=reply)
    reply.refresh_from_db()
    assert reply.tombstoned_at is None

    assert tombstone_purge_expired(now=_days_from_now(REMOVED_POST_RETENTION_DAYS + 1)) == 0
    assert _words(reply)["body"] == "Rest before you crash, every time."


def test_published_and_held_posts_are_never_touched(start, answer):
    discussion = start()
    reply = answer(discussion)
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.HELD, tombstoned_at=timezone.now())

    assert tombstone_purge_expired(now=_days_from_now(365)) == 0
    assert _words(discussion)["title"] == "Pacing on bad days"
    assert _words(reply)["body"] == "Rest before you crash, every time."


# --- Hashtags -----------------------------------------------------------------------


def test_a_hashtag_of_no_community_that_nothing_uses_is_deleted(start, community_factory):
    unused = Tag.objects.create(name="onlyhers", slug="onlyhers")
    used = Tag.objects.create(name="stillused", slug="stillused")
    DiscussionTag.objects.create(content_object=start(), tag=used)
    community_tag_without_discussions = community_factory("pots").tag

    assert hashtag_delete_unused() == 1
    assert hashtag_delete_unused() == 0
    assert not Tag.objects.filter(pk=unused.pk).exists()
    assert Tag.objects.filter(pk__in=[used.pk, community_tag_without_discussions.pk]).count() == 2
