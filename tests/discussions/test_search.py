# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Search: the privacy matrix, bad queries, filters, hashtags, rate limit and query counts.

These run on whichever database DATABASE_URL names: the SQLite fallback locally and
PostgreSQL full text in CI (test_search_postgres.py adds what only PostgreSQL does).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from accounts.models import ProfessionalVerification
from discussions.models import Discussion, Visibility
from discussions.search import MAX_QUERY_LENGTH, search_discussions, search_index_update
from tests.helpers.discovery import (
    ALL_POSTS,
    EXPECTED,
    SHARED_WORD,
    client_for,
    discovery_urls,  # noqa: F401
    make_discussion,
    make_reply,
    viewer_user,
    world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

VIEWERS = tuple(EXPECTED)


def found(world, viewer: str, query: str = SHARED_WORD, **filters) -> set[str]:
    outcome = search_discussions(viewer=viewer_user(world, viewer), query=query, **filters)
    names = {discussion.pk: name for name, discussion in world.posts.items()}
    return {names[discussion.pk] for discussion in outcome.results if discussion.pk in names}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_it_finds_exactly_what_each_viewer_may_read(world, viewer):
    assert found(world, viewer) == EXPECTED[viewer]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("name", ALL_POSTS)
def test_a_canary_word_finds_its_post_only_for_viewers_who_may_read_it(world, viewer, name):
    title_canary, body_canary = world.canaries(name)
    expected = {name} if name in EXPECTED[viewer] else set()

    assert found(world, viewer, title_canary) == expected
    assert found(world, viewer, body_canary) == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_search_page_never_shows_a_canary_of_an_unreadable_post(world, discovery_urls, viewer):
    response = client_for(world, viewer).get("/search/", {"q": SHARED_WORD})

    assert response.status_code == 200
    html = response.content.decode()
    for name in ALL_POSTS:
        title_canary, body_canary = world.canaries(name)
        if name in EXPECTED[viewer]:
            assert title_canary in html
        else:
            assert title_canary not in html
            assert body_canary not in html


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_searched_canary_of_an_unreadable_post_gives_an_empty_page(world, discovery_urls, viewer):
    client = client_for(world, viewer)
    for name in set(ALL_POSTS) - EXPECTED[viewer]:
        for canary in world.canaries(name):
            html = client.get("/search/", {"q": canary}).content.decode()
            assert "Nothing you can read matches" in html
            assert "search-result-title" not in html


def test_a_content_warning_hides_the_snippet_and_shows_the_label(world, discovery_urls):
    _, body_canary = world.canaries("cw")

    html = client_for(world, "anonymous").get("/search/", {"q": body_canary}).content.decode()

    assert world.canaries("cw")[0] in html  # the title is listed
    assert "Content warning: graphic symptoms" in html
    assert body_canary not in html.replace(f"q={body_canary}", "").replace(f'value="{body_canary}"', "").replace(
        f"“{body_canary}”", ""
    )


def test_snippets_escape_post_html_but_keep_highlights(user_factory, discovery_urls):
    author = user_factory("writer")
    make_discussion(author, "Markup test", f"<script>alert(1)</script> about {SHARED_WORD} <b>bold</b>")

    html = get_html("/search/", {"q": SHARED_WORD})

    assert "<script>alert(1)</script>" not in html
    assert "<b>bold</b>" not in html
    assert "<mark>" in html


def get_html(url: str, params: dict) -> str:
    return Client().get(url, params).content.decode()


def test_replies_are_searched_but_only_published_ones(member, other_member):
    discussion = make_discussion(member, "Sleep", "About sleep")
    make_reply(discussion, other_member, "Try the marmoset method")
    make_reply(discussion, other_member, "A hidden capybara remark", status="hidden")

    assert [d.pk for d in search_discussions(viewer=AnonymousUser(), query="marmoset").results] == [discussion.pk]
    assert search_discussions(viewer=AnonymousUser(), query="capybara").results == []


def test_a_post_made_private_drops_out_of_search_at_once(world):
    discussion = world.posts["pub"]
    discussion.visibility = Visibility.COMMUNITY
    discussion.save()

    assert "pub" not in found(world, "outsider")
    assert "pub" in found(world, "member")


def test_every_word_must_match(member):
    both = make_discussion(member, "Heart rate and salt", "pots salt tips")
    make_discussion(member, "Salt only", "salt")

    results = search_discussions(viewer=AnonymousUser(), query="salt pots").results

    assert [d.pk for d in results] == [both.pk]


def test_title_matches_rank_before_body_matches(member):
    in_body = make_discussion(member, "Something else", "a note on compression stockings")
    in_title = make_discussion(member, "Compression stockings", "what works")

    results = search_discussions(viewer=AnonymousUser(), query="compression").results

    assert [d.pk for d in results] == [in_title.pk, in_body.pk]


def test_recent_sort_puts_latest_activity_first(member):
    older = make_discussion(member, "Electrolytes one", "electrolytes electrolytes electrolytes")
    newer = make_discussion(member, "Other", "electrolytes")
    Discussion.objects.filter(pk=older.pk).update(last_activity_at=timezone.now() - timedelta(days=3))

    results = search_discussions(viewer=AnonymousUser(), query="electrolytes", sort="recent").results

    assert [d.pk for d in results] == [newer.pk, older.pk]


# --- Bad queries -------------------------------------------------------------------

BAD_QUERIES = [
    "",
    "   ",
    "x" * 10_000,
    "!!! ??? ...",
    "'; DROP TABLE discussions_discussion; --",
    "a & | !b",
    '"unbalanced quote',
    "((( ))) :* <-> !",
    "\x00\x1f",
    "%_%",
    "\\",
    "OR 1=1",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_queries_never_fail(world, discovery_urls, query):
    response = client_for(world, "outsider").get("/search/", {"q": query})

    assert response.status_code == 200
    assert Discussion.objects.count() == len(ALL_POSTS)


def test_an_empty_query_asks_for_words(discovery_urls):
    html = get_html("/search/", {"q": ""})
    assert "Type a word or two" in html


def test_a_punctuation_only_query_says_so(discovery_urls):
    html = get_html("/search/", {"q": "!!! ???"})
    assert "at least one letter or digit" in html


def test_a_very_long_query_is_cut_and_the_member_is_told(discovery_urls):
    html = get_html("/search/", {"q": "pacing " * 2000})
    assert f"only its first {MAX_QUERY_LENGTH} characters were used" in html


def test_sql_like_text_is_just_words(member):
    discussion = make_discussion(member, "Drop table tennis", "we drop everything for table tennis")

    results = search_discussions(viewer=AnonymousUser(), query="'; DROP table").results

    assert [d.pk for d in results] == [discussion.pk]


def test_a_bad_date_gives_a_message_not_an_error(discovery_urls):
    response = Client().get("/search/", {"q": "x", "from": "nope"})
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


# --- Hashtags ---------------------------------------------------------------------------


def test_a_hashtag_query_goes_to_the_community(world, discovery_urls):
    response = client_for(world, "anonymous").get("/search/", {"q": "#mecfs"})
    assert response.status_code == 302
    assert response["Location"] == "/c/mecfs/"


def test_an_alias_hashtag_goes_to_its_community(world, discovery_urls):
    response = client_for(world, "anonymous").get("/search/", {"q": "#CFS"})
    assert response["Location"] == "/c/mecfs/"


def test_a_private_community_hashtag_is_unknown_to_outsiders(world, discovery_urls):
    outsider = client_for(world, "outsider").get("/search/", {"q": "#hush"})
    insider = client_for(world, "member").get("/search/", {"q": "#hush"})

    assert outsider.status_code == 200
    assert "No community is called #hush" in outsider.content.decode()
    assert insider["Location"] == "/c/hush/"


def test_the_hashtag_filter_resolves_aliases(world):
    assert found(world, "member", hashtag="cfs") == {"pub", "mem", "com", "cw"}
    assert found(world, "member", hashtag="#hush") == {"priv"}


def test_the_hashtag_filter_does_not_reveal_a_private_community(world):
    outcome = search_discussions(viewer=world.users["outsider"], query=SHARED_WORD, hashtag="hush")
    assert outcome.results == []
    assert "no community called #hush" in outcome.message


# --- Clinician filter and dates ---------------------------------------------------------


def verify(user, *, days: int = 365) -> None:
    ProfessionalVerification.objects.create(
        applicant=user,
        profession=ProfessionalVerification.Profession.PHYSICIAN,
        licence_number="123",
        issuing_body="GMC",
        country="UK",
        status=ProfessionalVerification.Status.APPROVED,
        expires_at=timezone.now() + timedelta(days=days),
    )


def test_clinician_filter_needs_a_currently_verified_professional_reply(member, user_factory):
    doctor = user_factory("doc")
    lapsed = user_factory("lapsed")
    verify(doctor)
    verify(lapsed, days=-1)
    answered = make_discussion(member, "Ketamine question", "ketamine")
    make_reply(answered, doctor, "As a physician: ask your team", as_professional=True)
    unbadged = make_discussion(member, "Ketamine again", "ketamine")
    make_reply(unbadged, doctor, "Speaking as a patient", as_professional=False)
    expired = make_discussion(member, "Ketamine three", "ketamine")
    make_reply(expired, lapsed, "Old answer", as_professional=True)
    anonymous = make_discussion(member, "Ketamine four", "ketamine")
    make_reply(anonymous, doctor, "Anonymous pro answer", as_professional=True, is_anonymous=True)

    results = search_discussions(viewer=AnonymousUser(), query="ketamine", clinician_replied=True).results

    assert [d.pk for d in results] == [answered.pk]


def test_date_range_limits_by_start_date(member):
    old = make_discussion(member, "Pacing old", "pacing")
    new = make_discussion(member, "Pacing new", "pacing")
    Discussion.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    today = timezone.now().date()

    recent = search_discussions(viewer=AnonymousUser(), query="pacing", date_from=today - timedelta(days=7))
    earlier = search_discussions(viewer=AnonymousUser(), query="pacing", date_to=today - timedelta(days=30))

    assert [d.pk for d in recent.results] == [new.pk]
    assert [d.pk for d in earlier.results] == [old.pk]


# --- Rate limit, query count, indexing -------------------------------------------------


def test_the_31st_search_in_a_minute_gets_429(world, discovery_urls):
    client = client_for(world, "outsider")
    for _ in range(30):
        assert client.get("/search/", {"q": "pacing"}).status_code == 200

    response = client.get("/search/", {"q": "pacing"})

    assert response.status_code == 429
    assert "Please wait" in response.content.decode()
    # Another member is not affected.
    assert client_for(world, "member").get("/search/", {"q": "pacing"}).status_code == 200


def test_visitors_are_limited_per_address(discovery_urls):
    for _ in range(30):
        Client(REMOTE_ADDR="10.1.1.1").get("/search/", {"q": "pacing"})

    assert Client(REMOTE_ADDR="10.1.1.1").get("/search/", {"q": "pacing"}).status_code == 429
    assert Client(REMOTE_ADDR="10.1.1.2").get("/search/", {"q": "pacing"}).status_code == 200


def test_the_search_page_is_not_indexed(discovery_urls):
    response = Client().get("/search/", {"q": "pacing"})
    assert "noindex" in response["X-Robots-Tag"]
    assert 'content="noindex' in response.content.decode()


def test_search_page_query_count_does_not_grow_with_results(
    member, other_member, discovery_urls, django_assert_max_num_queries
):
    client = Client()
    client.force_login(other_member)
    for number in range(3):
        make_discussion(member, f"Brain fog {number}", "brainfog notes")
    client.get("/search/", {"q": "brainfog"})  # warm the session and caches
    with django_assert_max_num_queries(8) as few:
        client.get("/search/", {"q": "brainfog"})
    for number in range(15):
        make_discussion(member, f"More brain fog {number}", "brainfog notes")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/search/", {"q": "brainfog"})

    assert response.content.decode().count("search-result-title") == 18


def test_search_index_update_picks_up_an_edit(member):
    discussion = make_discussion(member, "Before", "nothing special")
    Discussion.objects.filter(pk=discussion.pk).update(title="After the axolotl")

    search_index_update(discussion.pk)

    assert [d.pk for d in search_discussions(viewer=AnonymousUser(), query="axolotl").results] == [discussion.pk]


def test_search_reindex_command_runs(world, capsys):
    from django.core.management import call_command

    call_command("search_reindex")

    assert f"for {len(ALL_POSTS)} discussion(s)" in capsys.readouterr().out
    assert found(world, "member") == EXPECTED["member"]
