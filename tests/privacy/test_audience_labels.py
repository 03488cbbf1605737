"""Issue 11, item 4: who can read a post is named for what it means. "Members" read as
"members of this community" while it meant anyone signed in, and anyone can sign up."""

import pytest

from discussions.models import Discussion, Visibility

pytestmark = pytest.mark.django_db

ANYONE = "Anyone, including search engines"
SIGNED_IN = "Anyone signed in to Spoonful (anyone can sign up)"


def test_the_new_discussion_form_names_each_audience_for_what_it_means(world):
    html = world.client("author").get("/d/new/?c=cnrycomm").content.decode()

    assert ANYONE in html
    assert SIGNED_IN in html
    assert "Only members of #cnrycomm" in html
    assert "Members: anyone signed in" not in html
    for value in ("public", "members", "community"):
        assert f'value="{value}"' in html


def test_the_form_names_the_hashtags_typed_when_it_comes_back(world):
    response = world.client("author").post(
        "/d/new/", {"title": "", "body": "x", "hashtags": "#cnrycomm #elsewhere", "visibility": "community"}
    )

    assert response.status_code == 400
    assert "Only members of #cnrycomm and #elsewhere" in response.content.decode()


def test_the_form_without_hashtags_says_the_communities_chosen(world):
    html = world.client("author").get("/d/new/").content.decode()

    assert "Only members of the communities you choose" in html


def test_the_discussion_page_names_its_audience(world):
    member = world.client("member")

    community = member.get(world.posts["community"].get_absolute_url()).content.decode()
    members = member.get(world.posts["members"].get_absolute_url()).content.decode()
    public = member.get(world.posts["public"].get_absolute_url()).content.decode()

    assert "Only members of #cnrycomm" in community
    assert SIGNED_IN in members
    assert ANYONE in public


def test_the_visibility_page_offers_the_same_names(world):
    html = world.client("author").get(f"/d/{world.posts['public'].pk}/discussion/visibility/").content.decode()

    assert SIGNED_IN in html
    assert "Only members of #cnrycomm" in html


def test_the_form_values_stay_the_public_contract(world):
    response = world.client("author").post(
        "/d/new/", {"title": "Quiet", "body": "Rest", "hashtags": "#cnrycomm", "visibility": "members"}
    )

    assert response.status_code == 302
    assert Discussion.objects.get(title="Quiet").visibility == Visibility.MEMBERS
