"""What only the PostgreSQL path does: stored vectors, stemming, websearch syntax, headlines."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from discussions.models import Discussion
from discussions.search import MARK_START, MARK_STOP, marks_to_html, search_discussions, search_index_update
from tests.helpers.discovery import make_discussion, make_reply, needs_postgres

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, needs_postgres()]


def ids(query: str, **options) -> list[int]:
    return [d.pk for d in search_discussions(viewer=AnonymousUser(), query=query, **options).results]


def test_the_search_vector_is_stored_and_gin_indexed(member):
    discussion = make_discussion(member, "Stored vector", "body words")

    discussion.refresh_from_db()
    assert "stor" in str(discussion.search_vector)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'discussions_discussion' AND indexdef ILIKE '%gin%'"
        )
        assert any("search_vector" in row[0] for row in cursor.fetchall())


def test_english_stemming_matches_other_word_forms(member):
    discussion = make_discussion(member, "Pacing myself", "I paced the walks and rested")

    assert ids("pace") == [discussion.pk]
    assert ids("resting") == [discussion.pk]


def test_websearch_syntax_excludes_and_quotes(member):
    salty = make_discussion(member, "Salt loading", "salt and water for pots")
    sweet = make_discussion(member, "Salt and sugar", "sugar cravings with salt")

    assert ids("salt -sugar") == [salty.pk]
    assert ids('"sugar cravings"') == [sweet.pk]


def test_operators_and_unbalanced_quotes_do_not_break_the_query(member):
    make_discussion(member, "Tricky", "words here")

    for query in ["a & | !b", '"unbalanced', "'; DROP TABLE x; --", "(((", ":*", "<->"]:
        assert isinstance(ids(query), list)


def test_title_outranks_body_outranks_replies(member, other_member):
    in_reply = make_discussion(member, "Nothing", "nothing here")
    make_reply(in_reply, other_member, "mentions midodrine once")
    in_body = make_discussion(member, "Something", "midodrine in the body")
    in_title = make_discussion(member, "Midodrine", "in the title")

    assert ids("midodrine") == [in_title.pk, in_body.pk, in_reply.pk]


def test_reply_text_leaves_the_index_when_the_reply_is_hidden(member, other_member):
    discussion = make_discussion(member, "Question", "a question")
    reply = make_reply(discussion, other_member, "fludrocortisone helped")
    assert ids("fludrocortisone") == [discussion.pk]

    reply.status = "hidden"
    reply.save()
    search_index_update(discussion.pk)

    assert ids("fludrocortisone") == []


def test_headlines_highlight_and_escape(member):
    make_discussion(member, "Escape", "<img src=x onerror=alert(1)> then ivabradine helps")

    outcome = search_discussions(viewer=AnonymousUser(), query="ivabradine")
    snippet = str(outcome.results[0].snippet_html)

    assert "<mark>ivabradine</mark>" in snippet
    assert "<img" not in snippet


def test_unbalanced_sentinels_never_produce_markup():
    assert str(marks_to_html(f"{MARK_START}a<b>")) == "a&lt;b&gt;"
    assert str(marks_to_html(f"{MARK_START}a{MARK_STOP}")) == "<mark>a</mark>"


def test_an_unindexed_discussion_is_found_after_reindex(member):
    discussion = make_discussion(member, "Late index", "beta blockers", index=False)
    assert ids("blockers") == []

    from django.core.management import call_command

    call_command("search_reindex")

    assert ids("blockers") == [discussion.pk]
    assert Discussion.objects.filter(search_vector__isnull=True).count() == 0
