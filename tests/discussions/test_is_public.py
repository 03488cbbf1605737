"""``Discussion.is_public``: the one test of "anyone may read it" behind Open Graph
tags, robots and the sitemap."""

import pytest

from discussions.models import Visibility

pytestmark = pytest.mark.django_db


def test_a_public_discussion_in_a_private_community_is_not_public_anywhere(
    client, start, member, add_member, hidden_circle
):
    add_member(member, hidden_circle)
    inside = start(title="Circle thread", visibility=Visibility.PUBLIC, hashtags=["mecfs"])
    # The service keeps new posts out of this state; staff moving a discussion does not.
    inside.tags.add(hidden_circle.tag)
    outside = start(title="Open thread", visibility=Visibility.PUBLIC, hashtags=["mecfs"])

    assert inside.is_public is False
    assert outside.is_public is True

    client.force_login(member)
    response = client.get(inside.get_absolute_url())
    html = response.content.decode()
    head = html[: html.index("</head>")]
    assert response.status_code == 200
    assert "og:" not in head
    assert 'name="description"' not in head
    assert '<meta name="robots" content="noindex, nofollow">' in head
    assert response["X-Robots-Tag"] == "noindex, nofollow"

    client.logout()
    assert client.get(inside.get_absolute_url()).status_code == 404
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"/d/{inside.pk}/" not in sitemap
    assert f"/d/{outside.pk}/" in sitemap
    open_page = client.get(outside.get_absolute_url())
    assert '<meta name="robots" content="index, follow">' in open_page.content.decode()
    assert "og:title" in open_page.content.decode()
