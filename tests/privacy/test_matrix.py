"""The privacy matrix: viewer x state x surface.

Each test asserts what the viewer is shown and sweeps the response for every canary
of what they may not see (text, title, the anonymous author's identity, existence).
"""

import json

import pytest
from django.contrib.auth.models import AnonymousUser

from discussions.related import related_discussions
from discussions.search import search_discussions
from discussions.selectors import can_see_discussion, discussion_list_visible_to
from notifications.models import Notification
from tests.helpers.privacy import (
    STATES,
    VIEWERS,
    WARNING_LABEL,
    allowed,
    body_canary,
    leaks,
    normalised,
    reply_canary,
    title_canary,
)

pytestmark = pytest.mark.django_db

MISSING = 999_999_999
MATRIX = [(viewer, state) for viewer in VIEWERS for state in STATES]


def _allowed(world, viewer, state):
    return allowed(viewer, state)


# --- The discussion page ------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_discussion_page_shows_or_404s_exactly_per_the_matrix(world, viewer, state):
    client = world.client(viewer)
    discussion = world.posts[state]

    response = client.get(f"/d/{discussion.pk}/")
    with_slug = client.get(f"/d/{discussion.pk}/{discussion.slug}/")
    head = client.head(f"/d/{discussion.pk}/")
    html = response.content.decode()

    if _allowed(world, viewer, state):
        assert response.status_code == 200
        assert with_slug.status_code == 200
        assert head.status_code == 200
        assert title_canary(state) in html
        assert body_canary(state) in html
        assert reply_canary(state) in html
        assert f"<title>{discussion.title} · Spoonful</title>" in html
    else:
        missing = client.get(f"/d/{MISSING}/")
        assert response.status_code == with_slug.status_code == head.status_code == 404
        # Forbidden and missing are indistinguishable: same status, same body.
        assert normalised(html) == normalised(missing.content.decode())
        assert normalised(with_slug.content.decode()) == normalised(client.get(f"/d/{MISSING}/x/").content.decode())
    assert leaks(html, world, viewer) == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_content_warning_keeps_the_body_collapsed_on_the_page(world, viewer):
    html = world.client(viewer).get(f"/d/{world.posts['warning'].pk}/").content.decode()

    details = html[html.index('<details class="content-warning">') :]
    assert f"Content warning: {WARNING_LABEL}" in details
    assert body_canary("warning") in details[: details.index("</details>")]


@pytest.mark.parametrize("viewer", [v for v in VIEWERS if v != "visitor"])
def test_the_anonymous_author_is_shown_as_anonymous_member_to_everyone_else(world, viewer):
    html = world.client(viewer).get(f"/d/{world.posts['anonymous'].pk}/").content.decode()

    assert "Anonymous member" in html
    assert leaks(html, world, viewer) == []


def test_the_anonymous_author_sees_the_post_as_theirs(world):
    world.users["zed"]
    from django.test import Client

    client = Client()
    client.force_login(world.users["zed"])
    html = client.get(f"/d/{world.posts['anonymous'].pk}/").content.decode()

    assert "you (anonymous)" in html


# --- Catch-up endpoint (HTML and JSON) -------------------------------------------------


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_catch_up_endpoint_follows_the_matrix_in_html_and_json(world, viewer, state):
    client = world.client(viewer)
    url = f"/d/{world.posts[state].pk}/replies/?after=0"

    as_html = client.get(url)
    as_json = client.get(url, HTTP_ACCEPT="application/json")

    if _allowed(world, viewer, state):
        assert as_html.status_code == as_json.status_code == 200
        assert reply_canary(state) in as_html.content.decode()
        assert [reply["number"] for reply in json.loads(as_json.content)["replies"]] == [1]
    else:
        missing = client.get(f"/d/{MISSING}/replies/?after=0")
        assert as_html.status_code == as_json.status_code == missing.status_code == 404
        assert normalised(as_html.content.decode()) == normalised(missing.content.decode())
    for response in (as_html, as_json):
        assert leaks(response.content.decode(), world, viewer) == []


# --- Lists -----------------------------------------------------------------------------


def _titles_shown(html: str, states) -> set[str]:
    return {state for state in states if title_canary(state) in html}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_community_pages_list_exactly_what_the_viewer_may_read(world, viewer):
    client = world.client(viewer)
    in_community = [s for s in STATES if s != "private"]

    page = client.get("/c/cnrycomm/")
    private_page = client.get("/c/cnrypriv/")

    html = page.content.decode()
    assert page.status_code == 200
    assert _titles_shown(html, in_community) == {s for s in in_community if _allowed(world, viewer, s)}
    assert body_canary("warning") not in html  # excerpts stay behind the warning in lists
    assert leaks(html, world, viewer) == []
    if viewer in ("visitor", "outsider", "mod_other"):
        assert private_page.status_code == 404
        assert normalised(private_page.content.decode()) == normalised(client.get("/c/nosuchcnry/").content.decode())
    else:
        assert private_page.status_code == 200
        assert _titles_shown(private_page.content.decode(), ["private"]) == {"private"}
    assert leaks(private_page.content.decode(), world, viewer) == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_home_feed_lists_exactly_what_the_viewer_may_read(world, viewer):
    html = world.client(viewer).get("/").content.decode()

    assert _titles_shown(html, STATES) == set(world.visible_to(viewer))
    assert body_canary("warning") not in html
    assert leaks(html, world, viewer) == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_directory_counts_only_what_the_viewer_may_read(world, viewer):
    response = world.client(viewer).get("/c/")

    counts = {c.slug: c.discussion_count for c in response.context["page"].object_list}
    in_community = [s for s in STATES if s != "private"]
    assert counts["cnrycomm"] == sum(_allowed(world, viewer, s) for s in in_community)
    if viewer in ("visitor", "outsider", "mod_other"):
        assert "cnrypriv" not in counts
        assert "cnrypriv" not in response.content.decode()
    else:
        assert counts["cnrypriv"] == 1
    assert leaks(response.content.decode(), world, viewer) == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_profile_lists_and_counts_hold_only_readable_named_posts(world, viewer):
    client = world.client(viewer)

    alice = client.get("/u/aliceau/")
    zed = client.get("/u/zedidcnry/")

    named = [s for s in STATES if s != "anonymous"]
    expected = {s for s in named if _allowed(world, viewer, s)}
    assert _titles_shown(alice.content.decode(), STATES) == expected
    assert alice.context["discussion_count"] == len(expected)
    # Zed only ever wrote anonymously: his profile lists nothing and counts nothing.
    if zed.status_code == 200:
        assert zed.context["discussion_count"] == 0
        assert zed.context["reply_count"] == 0
        assert _titles_shown(zed.content.decode(), STATES) == set()
    assert leaks(alice.content.decode(), world, viewer) == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search_finds_exactly_the_readable_discussions(world, viewer):
    found = search_discussions(viewer=world.viewer(viewer), query=SHARED_WORD_QUERY).results
    assert {d.pk for d in found} == {world.posts[s].pk for s in world.visible_to(viewer)}

    for state in STATES:
        outcome = search_discussions(viewer=world.viewer(viewer), query=title_canary(state))
        assert bool(outcome.results) == _allowed(world, viewer, state), state


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_search_page_shows_exactly_the_readable_discussions(world, viewer):
    client = world.client(viewer)
    for state in STATES:
        query = title_canary(state)
        # The page repeats the query (the box, "nothing matches ..."): the viewer typed it.
        html = client.get("/search/", {"q": query}).content.decode().replace(query, "QUERY")
        assert (f"/d/{world.posts[state].pk}/" in html) == _allowed(world, viewer, state), state
        assert leaks(html, world, viewer) == []
    query = body_canary("warning")
    html = client.get("/search/", {"q": query}).content.decode().replace(query, "QUERY")
    assert WARNING_LABEL in html
    # The snippet stays behind the warning: the rest of the body is not on the page.
    assert "pacing notes" not in html


@pytest.mark.parametrize("viewer", VIEWERS)
def test_related_discussions_never_offer_an_unreadable_one(world, viewer):
    for state in world.visible_to(viewer):
        related = related_discussions(viewer=world.viewer(viewer), discussion=world.posts[state], limit=20)
        shown = {d.pk for d in related}
        assert shown <= {world.posts[s].pk for s in world.visible_to(viewer)}
        assert shown, f"related of {state} should offer the readable ones sharing '{SHARED_WORD_QUERY}'"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_tag_autocomplete_offers_the_private_community_only_to_its_members(world, viewer):
    response = world.client(viewer).get("/c/autocomplete/", {"q": "cnry"})

    hashtags = {result["hashtag"] for result in json.loads(response.content)["results"]}
    if viewer in ("visitor", "outsider", "mod_other"):
        assert hashtags == {"cnrycomm"}
    else:
        assert hashtags == {"cnrycomm", "cnrypriv"}


@pytest.mark.parametrize("viewer", [v for v in VIEWERS if v != "visitor"])
def test_notifications_about_unreadable_discussions_are_not_listed(world, viewer):
    recipient = world.users[viewer]
    for discussion in world.posts.values():
        Notification.objects.create(recipient=recipient, kind=Notification.Kind.MENTION, discussion=discussion)

    html = world.client(viewer).get("/notifications/").content.decode()

    assert leaks(html, world, viewer) == []
    assert body_canary("warning") not in html


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_sitemap_lists_only_public_published_discussions_whoever_asks(world, viewer):
    response = world.client(viewer).get("/sitemap.xml")

    xml = response.content.decode()
    listed = {state for state in STATES if f"/d/{world.posts[state].pk}/" in xml}
    assert listed == {"public", "anonymous", "warning"}
    assert "/c/cnrycomm/" in xml
    assert "cnrypriv" not in xml


def test_the_rule_itself_matches_the_matrix(world):
    for viewer in VIEWERS:
        visible = set(discussion_list_visible_to(world.viewer(viewer)).values_list("pk", flat=True))
        assert visible == {world.posts[s].pk for s in world.visible_to(viewer)}, viewer
        for state in STATES:
            readable = can_see_discussion(world.viewer(viewer), world.posts[state])
            assert readable is allowed(viewer, state), (viewer, state)
    assert not isinstance(world.viewer("member"), AnonymousUser)


def test_a_deactivated_account_sees_what_a_visitor_sees(world):
    member = world.users["member"]
    member.is_active = False
    member.save()

    visible = set(discussion_list_visible_to(member).values_list("pk", flat=True))

    assert visible == {world.posts[s].pk for s in world.visible_to("visitor")}
    for state in STATES:
        assert can_see_discussion(member, world.posts[state]) is allowed("visitor", state), state


SHARED_WORD_QUERY = "quokkafern"
