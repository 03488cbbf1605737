"""The discussion page and catch-up cost the same number of queries at 10 and at 500 replies."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.access import forget_recent_contexts
from community.models import Membership
from discussions import services
from discussions.live.frames import build_reply_frames
from discussions.models import Reply
from tests.helpers.access import COLD_ACCESS_CONTEXT_QUERIES

MEMBER_PAGE_QUERIES = 8
VISITOR_PAGE_QUERIES = 5


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_the_discussion_page_costs_the_same_at_10_and_500_replies(
    client, member, other_member, start, bulk_replies, django_assert_max_num_queries, signed_in, settings
):
    # Production's engine (with Redis): the session is read from the cache.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    small = start(title="Small", submission_token="small")
    large = start(title="Large", submission_token="large")
    bulk_replies(small, 10, author=other_member)
    bulk_replies(large, 500, author=other_member)
    # Some threading and an anonymous reply, so every branch of the partial runs.
    for discussion in (small, large):
        services.reply_create(author=member, discussion=discussion, body="nested", parent_number=3)
        services.reply_create(author=member, discussion=discussion, body="quiet", is_anonymous=True, parent_number=2)
    if signed_in:
        client.force_login(member)
        # Both read once before, so each page also says what is new since then.
        client.get(small.get_absolute_url())
        client.get(large.get_absolute_url())
        bulk_replies(small, 2, author=other_member)
        bulk_replies(large, 2, author=other_member)

    baseline = queries_for(client, small.get_absolute_url())
    with django_assert_max_num_queries(baseline):
        client.get(large.get_absolute_url())
    with django_assert_max_num_queries(baseline):
        client.get(large.get_absolute_url() + "?from=000400")
    # A ceiling too, so a new per-page query is noticed. Session and access context come
    # from the cache; for a member: the user, the discussion (with its author and whether a
    # verified clinician replied), its hashtags, the replies, their own marks (position,
    # following, saved, what is new since they last read it, their draft), the upsert that
    # records how far they have read, the reaction counts of the discussion and every reply
    # shown, and the bell; related discussions are cached.
    assert baseline <= (MEMBER_PAGE_QUERIES if signed_in else VISITOR_PAGE_QUERIES)


def test_a_cold_access_context_costs_a_bounded_number_of_queries(
    client, member, other_member, start, bulk_replies, django_assert_max_num_queries, settings
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    discussion = start(title="Cold", submission_token="cold")
    bulk_replies(discussion, 10, author=other_member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())
    warm = queries_for(client, discussion.get_absolute_url())
    cache.clear()  # the access context, the session and related discussions are gone
    forget_recent_contexts()  # and the contexts this process kept
    # The session and related discussions are read again, and the context is loaded.
    with django_assert_max_num_queries(warm + 2 + COLD_ACCESS_CONTEXT_QUERIES):
        client.get(discussion.get_absolute_url())


def test_catch_up_costs_the_same_for_few_and_many_replies(
    client, member, other_member, start, bulk_replies, django_assert_max_num_queries
):
    small = start(title="Small", submission_token="small")
    large = start(title="Large", submission_token="large")
    bulk_replies(small, 3, author=other_member)
    bulk_replies(large, 500, author=other_member)
    client.force_login(member)

    baseline = queries_for(client, f"/d/{small.pk}/replies/?after=0")
    with django_assert_max_num_queries(baseline):
        client.get(f"/d/{large.pk}/replies/?after=0", headers={"Accept": "application/json"})


# The reply POST, counted as production runs it (jobs queued in the database). For a
# member: the user (the session is cached), the discussion, their verified email; in the
# transaction (a savepoint here, within the test's own): the discussion locked, its
# hashtags, whether they may still see it, the keyword rules, the reply's number (update
# and read), the reply, following the discussion, their draft deleted, two jobs (search
# index, notifications).
REPLY_POST_QUERIES = 16


@pytest.mark.parametrize("replies", [3, 60], ids=["short thread", "long thread"])
def test_the_reply_post_costs_a_bounded_number_of_queries(
    client, member, other_member, start, bulk_replies, django_assert_max_num_queries, settings, replies
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.JOBS_IMMEDIATE = False
    discussion = start()
    bulk_replies(discussion, replies, author=member)
    client.force_login(other_member)
    client.post(f"/d/{discussion.pk}/reply/", {"body": "The first, which warms the caches."})

    with django_assert_max_num_queries(REPLY_POST_QUERIES):
        response = client.post(f"/d/{discussion.pk}/reply/", {"body": "Pacing helps me most."})
    assert response.status_code == 302
    # Answering a reply also looks up that reply and, in a long thread, where the answer sits.
    with django_assert_max_num_queries(REPLY_POST_QUERIES + 2):
        response = client.post(f"/d/{discussion.pk}/reply/", {"body": "Same here.", "parent": 2})
    assert response.status_code == 302
    assert Reply.objects.filter(discussion=discussion, author=other_member).count() == 3


def test_a_reply_event_reads_the_reply_once_for_every_audience(
    member, other_member, outsider, moderator, mecfs, add_member, start, django_assert_max_num_queries
):
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Rest first.")
    event = {"type": "reply.created", "discussion_id": discussion.pk, "number": 1}
    audiences = {"visitor": [], "member": [member, outsider], "moderator": [moderator]}
    build_reply_frames(event, 1, audiences, {})  # their access contexts are cached, as when their sockets opened

    # The readers' access versions, the reply with what each audience may see of it, and
    # the moderator's tools.
    with django_assert_max_num_queries(3):
        frames, _ = build_reply_frames(event, 1, audiences, {member.pk: member, moderator.pk: moderator})
    assert all("Rest first." in frames[audience] for audience in audiences)
    # Its author reading here gets a frame of their own: their version and what they may see.
    with django_assert_max_num_queries(5):
        frames, _ = build_reply_frames(event, 1, audiences, {other_member.pk: other_member})
    assert all("Rest first." in frames[audience] for audience in [*audiences, "author"])
