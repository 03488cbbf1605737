# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
""" "You may also like": the privacy matrix, scoring, and a constant query count."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.access import access_for
from discussions.models import Discussion, RelatedDiscussion, Visibility
from discussions.related import related_discussions, significant_words
from tests.helpers.discovery import (
    ALL_POSTS,
    EXPECTED,
    make_community,
    make_discussion,
    viewer_user,
    world,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def related_names(world, viewer: str, name: str = "pub") -> set[str]:
    names = {discussion.pk: key for key, discussion in world.posts.items()}
    related = related_discussions(viewer=viewer_user(world, viewer), discussion=world.posts[name])
    return {names[d.pk] for d in related}


@pytest.mark.parametrize("viewer", tuple(EXPECTED))
def test_it_only_offers_what_the_viewer_may_read_and_never_the_current_one(world, viewer):
    assert related_names(world, viewer) == EXPECTED[viewer] - {"pub"}


@pytest.mark.parametrize("viewer", tuple(EXPECTED))
def test_the_partial_carries_no_canary_of_an_unreadable_post(world, viewer):
    related = related_discussions(viewer=viewer_user(world, viewer), discussion=world.posts["pub"])
    html = render_to_string("discussions/_related.html", {"related": related})

    for name in ALL_POSTS:
        title_canary, body_canary = world.canaries(name)
        assert body_canary not in html
        if name in EXPECTED[viewer] - {"pub"}:
            assert title_canary in html
        else:
            assert title_canary not in html


def test_a_warned_post_shows_its_warning_label(world):
    related = related_discussions(viewer=world.users["member"], discussion=world.posts["pub"])
    html = render_to_string("discussions/_related.html", {"related": related})

    assert "Content warning: graphic symptoms" in html


def test_a_post_made_private_disappears_from_related_at_once(world):
    Discussion.objects.filter(pk=world.posts["mem"].pk).update(visibility=Visibility.COMMUNITY)

    assert "mem" not in related_names(world, "outsider")
    assert "mem" in related_names(world, "member")


def test_reading_related_is_one_query(world, django_assert_num_queries):
    viewer = world.users["member"]
    access_for(viewer)  # what the request has already loaded
    with django_assert_num_queries(1):
        related_discussions(viewer=viewer, discussion=world.posts["pub"])


def test_it_never_uses_taggits_similar_objects(world, monkeypatch):
    from taggit.managers import _TaggableManager

    def forbidden(*args, **kwargs):
        raise AssertionError("similar_objects ignores visibility")

    monkeypatch.setattr(_TaggableManager, "similar_objects", forbidden)
    from tests.helpers.discovery import index_now

    index_now(world.posts["pub"].pk)
    assert related_names(world, "member")


def test_shared_hashtags_outrank_shared_title_words(member):
    tea = make_community("tea")
    current = make_discussion(member, "Morning energy routine", "x", communities=(tea,))
    by_tag = make_discussion(member, "Something unrelated", "x", communities=(tea,))
    by_words = make_discussion(member, "Evening energy routine", "x")
    make_discussion(member, "Nothing in common", "x")

    from tests.helpers.discovery import index_now

    index_now(current.pk)
    related = related_discussions(viewer=member, discussion=current)

    assert [d.pk for d in related] == [by_tag.pk, by_words.pk]


def test_newest_activity_breaks_ties(member):
    current = make_discussion(member, "Compression garments", "x")
    older = make_discussion(member, "Compression socks", "x")
    newer = make_discussion(member, "Compression leggings", "x")
    Discussion.objects.filter(pk=older.pk).update(last_activity_at=timezone.now() - timedelta(days=2))

    from tests.helpers.discovery import index_now

    index_now(current.pk)

    assert [d.pk for d in related_discussions(viewer=member, discussion=current)] == [newer.pk, older.pk]


def test_an_older_discussion_learns_of_a_newer_one(member):
    older = make_discussion(member, "Salt tablets dosage", "x")
    newer = make_discussion(member, "Salt tablets brands", "x")

    assert [d.pk for d in related_discussions(viewer=member, discussion=older)] == [newer.pk]


def test_at_most_five_are_offered(member):
    current = make_discussion(member, "Heat intolerance summer", "x")
    for number in range(8):
        make_discussion(member, f"Heat intolerance tips {number}", "x")

    assert len(related_discussions(viewer=member, discussion=current)) == 5
    assert RelatedDiscussion.objects.filter(source=current).count() == 8


def test_filler_words_do_not_make_discussions_related():
    assert significant_words("What would you do about this?") == set()
    assert significant_words("Dysautonomia and POTS diagnosis") == {"dysautonomia", "pots", "diagnosis"}
