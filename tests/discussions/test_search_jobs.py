"""The search index is kept by a job queued with each change: a failed update is tried again,
so a redacted or removed reply's words do leave the index (on PostgreSQL the index is a stored
vector; on SQLite search reads the live text, and the same journey must hold)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django_q.models import Schedule

import discussions.search
from community.models import Membership
from discussions.models import Visibility
from discussions.search import search_discussions
from moderation.post_actions import post_redact
from spoonful.jobs import DEBOUNCE_PREFIX
from tests.helpers.discovery import make_community, make_discussion, make_reply
from tests.helpers.jobs import queued_job_names, run_queued_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def durable(settings):
    settings.JOBS_IMMEDIATE = False


def found(query: str) -> list[int]:
    return [d.pk for d in search_discussions(viewer=AnonymousUser(), query=query).results]


def test_a_redacted_word_leaves_the_index_even_when_the_first_update_fails(
    durable, member, other_member, moderator, monkeypatch
):
    mecfs = make_community("mecfs", members=(member, other_member))
    Membership.objects.create(user=moderator, community=mecfs, role=Membership.Role.MODERATOR)
    discussion = make_discussion(
        member, "Dizzy spells", "Any tips?", visibility=Visibility.PUBLIC, communities=(mecfs,)
    )
    reply = make_reply(discussion, other_member, "Ring me on zanzibarphone 0123")
    discussions.search.search_index_update(discussion.pk)
    assert found("zanzibarphone") == [discussion.pk]

    post_redact(acting_user=moderator, post=reply, span="zanzibarphone 0123", reason="Phone number")
    assert "discussions.search.search_index_update" in queued_job_names()

    def database_went_away(discussion_id):
        raise DatabaseError("the index update failed")

    with monkeypatch.context() as broken:
        broken.setattr(discussions.search, "_search_vector_update", database_went_away)
        with pytest.raises(DatabaseError):
            run_queued_jobs()
    assert "discussions.search.search_index_update" in queued_job_names(), "the failed job waits for its retry"

    run_queued_jobs()
    assert found("zanzibarphone") == []
    assert found("tips") == [discussion.pk]


def test_related_rescoring_is_debounced_to_one_run_per_discussion(durable, member):
    discussion = make_discussion(member, "Pacing", "How do you pace?")
    for _ in range(5):
        discussions.search.search_index_update(discussion.pk)

    waiting = Schedule.objects.filter(name__startswith=DEBOUNCE_PREFIX)
    assert list(waiting.values_list("name", "func")) == [
        (
            f"{DEBOUNCE_PREFIX}discussions.related.related_candidates_update:{discussion.pk}",
            "discussions.related.related_candidates_update",
        )
    ]
    assert waiting.get().next_run > discussion.created_at
