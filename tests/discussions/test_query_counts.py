"""The discussion page and catch-up cost the same number of queries at 10 and at 500 replies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions import services


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_the_discussion_page_costs_the_same_at_10_and_500_replies(
    client, member, other_member, start, bulk_replies, django_assert_max_num_queries, signed_in
):
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

    baseline = queries_for(client, small.get_absolute_url())
    with django_assert_max_num_queries(baseline):
        client.get(large.get_absolute_url())
    with django_assert_max_num_queries(baseline):
        client.get(large.get_absolute_url() + "?from=000400")
    # A ceiling too, so a new per-page query is noticed (shared chrome: session, user,
    # notifications; the discussion, its tags, can_reply, can_moderate, replies, badges;
    # for a member, the one upsert that records how far they have read; the reaction
    # counts of the discussion and every reply shown, in one query).
    assert baseline <= (22 if signed_in else 20)


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
