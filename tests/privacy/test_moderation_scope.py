"""One moderation scope (issue 17): the queue, the log, the review page, appeals and the
actions agree on which posts each person may moderate, because all of them read
``moderation_scope_for``.

The cast: staff; a moderator of the open #mecfs; a moderator of the private
#secretcircle; and a moderator of #mecfs who is also a member of #secretcircle. The
posts: one in #mecfs, one in #secretcircle, and one tagged in both.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts.models import User
from community.models import Community, Membership
from discussions import services
from discussions.models import Discussion, Reply, Visibility
from moderation.appeals import appeal_create
from moderation.flags import flag_create
from moderation.models import Appeal, Flag
from moderation.post_actions import post_remove, post_reveal_author
from moderation.selectors import can_decide_appeal, can_moderate_post

VIEWERS = ["staff", "mod_a", "mod_b", "mod_a_in_b"]
POSTS = ["in_a", "in_b", "in_both"]
# Which posts each person may moderate.
EXPECTED = {
    "staff": {"in_a", "in_b", "in_both"},
    "mod_a": {"in_a"},
    "mod_b": {"in_b", "in_both"},
    "mod_a_in_b": {"in_a", "in_both"},
}


@dataclass
class World:
    mecfs: Community
    circle: Community
    people: dict[str, User]
    discussions: dict[str, Discussion]
    replies: dict[str, Reply]

    def posts(self, name: str) -> list[Discussion | Reply]:
        return [self.discussions[name], self.replies[name]]


def kind_of(post) -> str:
    return "reply" if isinstance(post, Reply) else "discussion"


def review_path(post) -> str:
    return reverse("moderation:post_review", args=[kind_of(post), post.pk])


def action_path(post, action: str) -> str:
    return reverse("moderation:post_action", args=[kind_of(post), post.pk, action])


@pytest.fixture
def world(user_factory, community_factory) -> World:
    mecfs = community_factory("mecfs", name="ME/CFS", guidelines="Be kind")
    circle = community_factory("secretcircle", name="Secret circle", policy=Community.Policy.PRIVATE)
    people = {
        "staff": user_factory("jo", display_name="Jo", is_staff=True, two_factor=True),
        "mod_a": user_factory("sam", display_name="Sam", two_factor=True),
        "mod_b": user_factory("cleo", display_name="Cleo", two_factor=True),
        "mod_a_in_b": user_factory("kim", display_name="Kim", two_factor=True),
    }
    author = user_factory("alice", display_name="Alice")
    flagger = user_factory("carol", display_name="Carol")
    moderator = Membership.Role.MODERATOR
    for user, community, role in [
        (people["mod_a"], mecfs, moderator),
        (people["mod_b"], circle, moderator),
        (people["mod_a_in_b"], mecfs, moderator),
        (people["mod_a_in_b"], circle, Membership.Role.MEMBER),
        (author, mecfs, Membership.Role.MEMBER),
        (author, circle, Membership.Role.MEMBER),
        (flagger, mecfs, Membership.Role.MEMBER),
        (flagger, circle, Membership.Role.MEMBER),
    ]:
        Membership.objects.create(user=user, community=community, role=role)

    def discussion(title: str, hashtag: str) -> Discussion:
        return services.discussion_create(
            author=author, title=title, body="Text", hashtags=[hashtag], visibility=Visibility.COMMUNITY
        )

    discussions = {
        "in_a": discussion("Only in mecfs", "mecfs"),
        "in_b": discussion("Only in the circle", "secretcircle"),
        "in_both": discussion("In both", "mecfs"),
    }
    # Posting cannot put a discussion in a private community and another; an older
    # post or a data repair can, and the scope must hold for it too.
    discussions["in_both"].tags.add(circle.tag)
    replies = {
        name: services.reply_create(author=author, discussion=item, body=f"A reply in {item.title}")
        for name, item in discussions.items()
    }
    built = World(mecfs=mecfs, circle=circle, people=people, discussions=discussions, replies=replies)
    for name in POSTS:
        for post in built.posts(name):
            flag_create(flagger=flagger, post=post, reason=Flag.Reason.SPAM)
            # An audited look by staff puts an entry about each post in the log.
            post_reveal_author(acting_user=people["staff"], post=post, reason="Routine check")
    return built


def what_each_surface_shows(client, viewer: User, world: World, *, query: str = "") -> dict:
    """Per post name: (may moderate, in the queue, review page opens, the log shows it)."""
    client.force_login(viewer)
    queue = client.get(f"/mod/{query}").content.decode()
    log = client.get(f"/mod/log/{query}").content.decode()
    seen = {}
    for name in POSTS:
        for post in world.posts(name):
            seen[(name, kind_of(post))] = (
                can_moderate_post(viewer, post),
                action_path(post, "remove") in queue,
                client.get(review_path(post)).status_code == 200,
                f'href="{review_path(post)}"' in log,
            )
    return seen


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_queue_the_log_and_the_review_page_agree_on_every_post(client, world, viewer):
    seen = what_each_surface_shows(client, world.people[viewer], world)

    for (name, kind), surfaces in seen.items():
        expected = name in EXPECTED[viewer]
        assert surfaces == (expected, expected, expected, expected), (viewer, name, kind)


@pytest.mark.parametrize(
    ("viewer", "hashtag", "expected"),
    [
        # Staff know every community: narrowed to #mecfs they still see the post also in the circle.
        ("staff", "mecfs", {"in_a", "in_both"}),
        ("staff", "secretcircle", {"in_b", "in_both"}),
        ("mod_a", "mecfs", {"in_a"}),
        ("mod_b", "secretcircle", {"in_b", "in_both"}),
        ("mod_a_in_b", "mecfs", {"in_a", "in_both"}),
    ],
)
def test_a_queue_and_log_narrowed_to_one_community_agree_too(client, world, viewer, hashtag, expected):
    seen = what_each_surface_shows(client, world.people[viewer], world, query=f"?community={hashtag}")

    for (name, kind), (_, in_queue, _, in_log) in seen.items():
        assert in_queue == in_log == (name in expected), (viewer, hashtag, name, kind)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("name", POSTS)
def test_an_action_on_a_post_works_exactly_where_the_review_page_opens(client, world, viewer, name):
    client.force_login(world.people[viewer])
    for post in world.posts(name):
        opens = client.get(review_path(post)).status_code == 200
        response = client.post(action_path(post, "hide"), {"reason": "Checking"})
        post.refresh_from_db()

        assert opens == (name in EXPECTED[viewer])
        assert response.status_code == (302 if opens else 404)
        assert post.status == (Discussion.Status.HIDDEN if opens else Discussion.Status.PUBLISHED)


def test_the_log_lists_no_entry_a_private_communitys_moderator_filed_on_a_post_outside_the_viewers_scope(client, world):
    post_remove(acting_user=world.people["mod_b"], post=world.replies["in_both"], reason="Canaryreason circle")

    for viewer, listed in [("mod_a", False), ("mod_a_in_b", True), ("mod_b", True), ("staff", True)]:
        client.force_login(world.people[viewer])
        log = client.get("/mod/log/").content.decode()
        assert ("Canaryreason circle" in log) == listed, viewer
        if viewer == "mod_a_in_b":
            # Theirs to moderate, and they are in the circle: it may be named.
            assert "#secretcircle" in log


# An appeal answers a decision filed under one community; it is theirs to decide who
# moderate that community and may still moderate the post (overturning acts on it).
APPEAL_DECIDERS = {
    "in_a": {"staff", "mod_a", "mod_a_in_b"},
    "in_b": {"staff", "mod_b"},
    # Filed under #mecfs (the first of staff's communities it sits in): mod_a may not
    # moderate the post, mod_b does not moderate #mecfs.
    "in_both": {"staff", "mod_a_in_b"},
}


@pytest.fixture
def appeals(world) -> dict[str, Appeal]:
    made = {}
    for name in POSTS:
        reply = world.replies[name]
        action = post_remove(acting_user=world.people["staff"], post=reply, reason="Off topic")
        made[name] = appeal_create(appellant=reply.author, action=action, text="Please look again")
    return made


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_queue_lists_an_appeal_exactly_when_the_moderator_may_decide_it(client, world, appeals, viewer):
    user = world.people[viewer]
    client.force_login(user)
    queue = client.get("/mod/").content.decode()

    for name, appeal in appeals.items():
        decide = reverse("moderation:appeal_decide", args=[appeal.pk])
        expected = viewer in APPEAL_DECIDERS[name]
        assert (decide in queue) == can_decide_appeal(user, appeal) == expected, (viewer, name)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("name", POSTS)
def test_deciding_an_appeal_works_exactly_for_those_it_is_listed_for(client, world, appeals, viewer, name):
    appeal = appeals[name]
    client.force_login(world.people[viewer])

    response = client.post(
        reverse("moderation:appeal_decide", args=[appeal.pk]), {"decision": "overturned", "reason": "Fair point"}
    )

    appeal.refresh_from_db()
    reply = world.replies[name]
    reply.refresh_from_db()
    if viewer in APPEAL_DECIDERS[name]:
        assert response.status_code == 302
        assert appeal.status == Appeal.Status.OVERTURNED
        assert reply.status == Reply.Status.PUBLISHED
    else:
        assert response.status_code == 404
        assert appeal.status == Appeal.Status.OPEN
        assert reply.status == Reply.Status.REMOVED
