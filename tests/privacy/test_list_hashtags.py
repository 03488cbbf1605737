"""List items show only the hashtags the viewer may know of: the discussion page's rule."""

import pytest

from community.models import Community
from tests.helpers.discovery import make_discussion

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/c/spoonie/", "/"])
def test_list_items_hide_a_private_community_the_viewer_is_not_in(
    client, url, community_factory, add_member, member, other_member
):
    spoonie = community_factory("spoonie", name="Spoonies")
    circle = community_factory("circle", name="A circle", policy=Community.Policy.PRIVATE)
    hidden = community_factory("hushhushcanary", name="Hush canary", policy=Community.Policy.PRIVATE)
    # Readable by the viewer through the private community they are in, and tagged
    # into one they are not in (as staff moving a discussion can leave it).
    discussion = make_discussion(
        other_member, "Shared across circles", "Some text", communities=(spoonie, circle, hidden)
    )
    add_member(member, circle)
    client.force_login(member)

    page = client.get(discussion.get_absolute_url()).content.decode()
    listing = client.get(url).content.decode()

    assert "Shared across circles" in listing
    for html in (page, listing):
        assert "#spoonie" in html
        assert "#circle" in html
        assert "hushhushcanary" not in html
