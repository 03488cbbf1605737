"""One placement rule (``discussions.placement``) for posting and for moving a discussion.

Each refusal is tried both ways through the real views: the author posting with those
hashtags (``/d/new/``), and a moderator moving the author's discussion there (the
review page's re-tag). A move can never put a discussion where it could not have
been posted.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from community.models import Community, Membership
from discussions import services
from discussions.models import Discussion, Visibility
from moderation.models import ModerationAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(community_factory, member, moderator):
    """alice (member) writes; sam moderates #mecfs, where alice's discussion sits. Both
    belong to the private #circlea and #circleb, neither to the by-approval #closed;
    #pots, #one to #four are open."""
    communities = {
        "mecfs": community_factory("mecfs"),
        "pots": community_factory("pots"),
        "circlea": community_factory("circlea", policy=Community.Policy.PRIVATE),
        "circleb": community_factory("circleb", policy=Community.Policy.PRIVATE),
        "closed": community_factory("closed", policy=Community.Policy.APPROVAL),
        **{slug: community_factory(slug) for slug in ("one", "two", "three", "four")},
    }
    for user in (member, moderator):
        for slug in ("mecfs", "circlea", "circleb"):
            role = Membership.Role.MODERATOR if user == moderator and slug == "mecfs" else Membership.Role.MEMBER
            Membership.objects.create(user=user, community=communities[slug], role=role)
    discussion = services.discussion_create(
        author=member, title="Pacing", body="What helps?", hashtags=["mecfs"], visibility=Visibility.MEMBERS
    )
    return communities, discussion


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(author: User, hashtags: str, *, anonymous: bool = False) -> str:
    form = {
        "title": "Somewhere else",
        "body": "Words",
        "hashtags": hashtags,
        "visibility": "members",
        "content_warning": "",
        "submission_token": f"token-{hashtags}",
    }
    if anonymous:
        form["anonymous"] = "on"
    response = _signed_in(author).post("/d/new/", form)
    assert response.status_code == 400
    return response.content.decode()


def _move(mover: User, discussion: Discussion, hashtags: str) -> str:
    url = reverse("moderation:post_action", args=["discussion", discussion.pk, "retag"])
    response = _signed_in(mover).post(url, {"hashtags": hashtags, "reason": ""})
    assert response.status_code == 400
    return response.content.decode()


def _unmoved(discussion: Discussion) -> None:
    discussion.refresh_from_db()
    assert sorted(discussion.tags.names()) == ["mecfs"]
    assert discussion.visibility == Visibility.MEMBERS
    assert not ModerationAction.objects.filter(kind=ModerationAction.Kind.RETAG).exists()


@pytest.mark.parametrize(
    ("hashtags", "refusal"),
    [
        ("#circlea #circleb", "is a private community: a discussion there cannot also be in other communities"),
        ("#mecfs #circlea", "is a private community: a discussion there cannot also be in other communities"),
        ("#closed", "Only members of #closed can post there"),
        ("#nowhere", "There is no community for #nowhere"),
        ("#mecfs #pots #one #two #three #four", "at most 5 communities"),
    ],
    ids=["two-private", "private-and-open", "not-a-member", "unknown", "six"],
)
def test_a_move_is_refused_where_posting_is(scene, member, moderator, hashtags, refusal):
    _, discussion = scene

    assert refusal in _post(member, hashtags)
    assert refusal in _move(moderator, discussion, hashtags)
    _unmoved(discussion)


def test_a_community_that_banned_the_author_never_receives_their_discussion(scene, member, moderator):
    communities, discussion = scene
    Membership.objects.create(user=member, community=communities["pots"], status=Membership.Status.BANNED)

    assert "You cannot post in #pots: you have been banned from it" in _post(member, "#pots")
    assert "cannot go into #pots: its author is banned there" in _move(moderator, discussion, "#mecfs #pots")
    _unmoved(discussion)


def test_an_anonymous_discussion_is_not_moved_where_its_author_is_banned_and_the_refusal_names_nobody(
    scene, member, moderator
):
    communities, _ = scene
    anonymous = services.discussion_create(
        author=member,
        title="Quietly",
        body="Words",
        hashtags=["mecfs"],
        visibility=Visibility.MEMBERS,
        is_anonymous=True,
    )
    Membership.objects.create(user=member, community=communities["pots"], status=Membership.Status.BANNED)

    html = _move(moderator, anonymous, "#pots")

    assert "its author is banned there" in html
    assert "alice" not in html.lower()
    assert sorted(anonymous.tags.names()) == ["mecfs"]


def test_a_mover_banned_from_a_community_cannot_move_a_discussion_there(scene, member, moderator):
    communities, discussion = scene
    Membership.objects.create(user=moderator, community=communities["pots"], status=Membership.Status.BANNED)

    assert "You cannot post in #pots: you have been banned from it" in _move(moderator, discussion, "#pots")
    _unmoved(discussion)


def test_a_private_community_holds_a_posted_or_moved_discussion_alone_and_for_its_members(scene, member, moderator):
    _, discussion = scene

    posted = _signed_in(member).post(
        "/d/new/",
        {"title": "Circle", "body": "Words", "hashtags": "#circlea", "visibility": "public", "submission_token": "p"},
    )
    moved = _signed_in(moderator).post(
        reverse("moderation:post_action", args=["discussion", discussion.pk, "retag"]), {"hashtags": "#circlea"}
    )

    assert posted.status_code == moved.status_code == 302
    discussion.refresh_from_db()
    assert sorted(discussion.tags.names()) == ["circlea"]
    assert Discussion.objects.get(title="Circle").visibility == discussion.visibility == Visibility.COMMUNITY
    action = ModerationAction.objects.get(kind=ModerationAction.Kind.RETAG)
    assert (action.before["visibility"], action.after["visibility"]) == (Visibility.MEMBERS, Visibility.COMMUNITY)


def test_a_moderator_may_take_a_discussion_out_of_their_community_into_one_its_author_has_not_joined(
    scene, member, moderator
):
    """Moving is not posting by the mover: the author-only rule (an author may not post
    a community-only discussion they could not read) does not stop a moderator."""
    _, discussion = scene
    Discussion.objects.filter(pk=discussion.pk).update(visibility=Visibility.COMMUNITY)

    response = _signed_in(moderator).post(
        reverse("moderation:post_action", args=["discussion", discussion.pk, "retag"]), {"hashtags": "#pots"}
    )

    assert response.status_code == 302
    assert sorted(discussion.tags.names()) == ["pots"]
