"""Reactions in the privacy matrix: viewer x state x surface (the page, the who-reacted
pages, the react endpoint). A canary reactor reacts to every discussion and its reply;
their name reaches only signed-in members who may read the post, never a blocker who
blocked them, and a post the viewer may not read is a 404 like a missing one."""

import pytest
from django.test import Client

from discussions.models import Reaction, Reply
from tests.helpers.privacy import STATES, VIEWERS, allowed, leaks, normalised

pytestmark = pytest.mark.django_db

MISSING = 999_999_999
MATRIX = [(viewer, state) for viewer in VIEWERS for state in STATES]
REACTOR_NAME = "Quinn Reactcanary"


@pytest.fixture
def reacted(world, user_factory):
    """Quinn (and Dave, whom the author blocked) reacted to every discussion and its reply."""
    quinn = user_factory("quinnrxcnry", display_name=REACTOR_NAME)
    for discussion in world.posts.values():
        reply = Reply.objects.get(discussion=discussion, number=1)
        for user in (quinn, world.users["blocked"]):
            Reaction.objects.create(user=user, discussion=discussion, kind=Reaction.Kind.STRENGTH)
            Reaction.objects.create(user=user, reply=reply, kind=Reaction.Kind.THANK_YOU)
    return quinn


def _who_urls(discussion) -> list[str]:
    return [f"/d/{discussion.pk}/discussion/reactions/", f"/d/{discussion.pk}/replies/1/reactions/"]


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_who_reacted_is_shown_only_to_signed_in_readers_of_the_post(world, reacted, viewer, state):
    client = world.client(viewer)
    discussion = world.posts[state]
    shows_reactions = allowed(viewer, state) and state != "held"  # held: not published, no reactions

    page = client.get(f"/d/{discussion.pk}/").content.decode()
    assert REACTOR_NAME not in page  # counts on the page; names only on the who-reacted page
    for url in _who_urls(discussion):
        response = client.get(url)
        html = response.content.decode()
        if viewer == "visitor":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif shows_reactions:
            assert response.status_code == 200
            assert REACTOR_NAME in html
            assert ("Dave Blocked" in html) is (viewer != "author")  # the author blocked Dave
        else:
            assert response.status_code == 404
            missing = client.get(url.replace(str(discussion.pk), str(MISSING), 1))
            assert normalised(html) == normalised(missing.content.decode())
            assert REACTOR_NAME not in html
        assert leaks(html, world, viewer) == []


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_reacting_to_a_post_the_viewer_may_not_read_is_a_404(world, reacted, viewer, state):
    client = world.client(viewer)
    discussion = world.posts[state]
    before = Reaction.objects.count()
    for number in ("", "1"):
        response = client.post(f"/d/{discussion.pk}/react/", {"kind": "me_too", "number": number})
        if not allowed(viewer, state):
            assert response.status_code == 404
        elif viewer == "visitor":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            # Allowed or refused with a reason (own post, held), never a 404 or a 500.
            assert response.status_code == 302
            assert response["Location"].startswith(f"/d/{discussion.pk}/")
    if not allowed(viewer, state) or viewer == "visitor":
        assert Reaction.objects.count() == before


@pytest.mark.parametrize("state", [state for state in STATES if allowed("author", state) and state != "held"])
def test_the_author_who_blocked_a_reactor_counts_without_them(world, reacted, state):
    html = world.client("author").get(f"/d/{world.posts[state].pk}/").content.decode()
    # The discussion is the author's own: counts only, Dave left out of them.
    assert 'data-kind="strength">1</span>' in html
    reader = Client()
    reader.force_login(world.users["staff"])
    assert 'data-kind="strength">2</span>' in reader.get(f"/d/{world.posts[state].pk}/").content.decode()
