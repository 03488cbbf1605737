"""A first privacy matrix on the one visibility rule: viewer x state of the post."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from discussions.models import Discussion, Visibility
from discussions.selectors import can_see_discussion, discussion_list_visible_to

STATES = ["public", "members", "community", "private_community", "held", "removed"]
EXPECTED = {
    #            public members community private held  removed
    "anonymous": (True, False, False, False, False, False),
    "outsider": (True, True, False, False, False, False),
    "community_member": (True, True, True, True, False, False),
    "author": (True, True, True, True, True, False),
    "staff": (True, True, True, True, False, False),
}


@pytest.fixture
def world(member, other_member, outsider, staff, mecfs, hidden_circle, add_member):
    add_member(member, mecfs)
    add_member(member, hidden_circle)
    add_member(other_member, mecfs)
    add_member(other_member, hidden_circle)

    def make(state: str) -> Discussion:
        visibility = {"public": Visibility.PUBLIC, "members": Visibility.MEMBERS}.get(state, Visibility.COMMUNITY)
        status = {"held": Discussion.Status.HELD, "removed": Discussion.Status.REMOVED}.get(
            state, Discussion.Status.PUBLISHED
        )
        if state in ("held", "removed"):
            visibility = Visibility.PUBLIC
        discussion = Discussion.objects.create(
            author=member,
            title=f"canary-{state}",
            body="text",
            body_html="<p>text</p>",
            visibility=visibility,
            status=status,
            last_activity_at=timezone.now(),
        )
        discussion.tags.add(hidden_circle.tag if state == "private_community" else mecfs.tag)
        return discussion

    posts = {state: make(state) for state in STATES}
    viewers = {
        "anonymous": AnonymousUser(),
        "outsider": outsider,
        "community_member": other_member,
        "author": member,
        "staff": staff,
    }
    return viewers, posts


@pytest.mark.parametrize("viewer_name", list(EXPECTED))
def test_each_viewer_sees_exactly_what_the_matrix_allows(world, viewer_name):
    viewers, posts = world
    viewer = viewers[viewer_name]

    visible = set(discussion_list_visible_to(viewer).values_list("title", flat=True))

    expected = {f"canary-{state}" for state, allowed in zip(STATES, EXPECTED[viewer_name], strict=True) if allowed}
    assert visible == expected
    for state, allowed in zip(STATES, EXPECTED[viewer_name], strict=True):
        assert can_see_discussion(viewer, posts[state]) is allowed, state


def test_a_deactivated_account_sees_what_a_visitor_sees(world, outsider):
    outsider.is_active = False
    outsider.save()

    visible = set(discussion_list_visible_to(outsider).values_list("title", flat=True))

    assert visible == {"canary-public"}
