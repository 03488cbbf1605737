"""What search engines and link previews get: robots.txt, the sitemap, Open Graph
tags, robots meta and page titles (PL-11, and the link-preview rule of issue 6)."""

import pytest

from discussions.models import Discussion
from tests.helpers.privacy import STATES, VIEWERS, WARNING_LABEL, allowed, body_canary, title_canary

pytestmark = pytest.mark.django_db


def test_robots_txt_keeps_crawlers_out_of_member_areas_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")

    text = response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    for path in ("/mod/", "/settings/", "/notifications/", "/search/", "/accounts/", "/u/"):
        assert f"Disallow: {path}\n" in text
    assert "Allow: /\n" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_the_sitemap_is_the_same_for_a_signed_in_member_as_for_a_visitor(world):
    as_visitor = world.client("visitor").get("/sitemap.xml").content
    as_staff = world.client("staff").get("/sitemap.xml").content

    assert as_visitor == as_staff
    for state in ("members", "community", "private", "removed", "held"):
        assert f"/d/{world.posts[state].pk}/" not in as_visitor.decode()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_link_previews_only_for_public_published_discussions(world, viewer):
    for state in STATES:
        if not allowed(viewer, state):
            continue
        html = world.client(viewer).get(f"/d/{world.posts[state].pk}/").content.decode()
        head = html[: html.index("</head>")]
        if state in ("public", "anonymous", "warning"):
            assert '<meta property="og:type" content="article">' in head
            assert f'<meta property="og:title" content="{world.posts[state].title}">' in head
        else:
            assert "og:" not in head, state
            assert 'name="description"' not in head, state
        if state == "warning":
            assert f'content="Content warning: {WARNING_LABEL}"' in head
            assert body_canary("warning") not in head
        if state == "public":
            assert f'<meta property="og:description" content="{body_canary("public")}' in head


def test_the_title_of_a_non_public_discussion_reaches_only_those_who_may_read_it(world):
    for viewer in VIEWERS:
        for state in STATES:
            html = world.client(viewer).get(f"/d/{world.posts[state].pk}/").content.decode()
            title_tag = html[html.index("<title>") : html.index("</title>")]
            assert (title_canary(state) in title_tag) == allowed(viewer, state), (viewer, state)


def test_only_public_discussions_are_indexable_and_only_for_visitors(world):
    for state in STATES:
        response = world.client("visitor").get(f"/d/{world.posts[state].pk}/")
        if state in ("public", "anonymous", "warning"):
            assert '<meta name="robots" content="index, follow">' in response.content.decode()
            assert "X-Robots-Tag" not in response
        else:
            assert response["X-Robots-Tag"] == "noindex, nofollow"
    member_view = world.client("member").get(f"/d/{world.posts['community'].pk}/")
    assert member_view["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in member_view.content.decode()
    assert "no-store" in member_view["Cache-Control"]


def test_the_sitemap_follows_a_discussion_made_more_private(world):
    public = world.posts["public"]
    Discussion.objects.filter(pk=public.pk).update(visibility="members")

    assert f"/d/{public.pk}/" not in world.client("visitor").get("/sitemap.xml").content.decode()
