"""A small world for search, related-discussion and notification tests.

Posts are made with the ORM (so these tests do not depend on the posting services)
and indexed with ``search_index_update`` the way the services do after commit. Every
post carries canary words in its title and body, so a page, email or frame can be
swept for anything the viewer must not see.
"""

from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from taggit.models import Tag

from accounts.models import User
from community.models import Community, CommunityAlias, Membership
from discussions.models import Discussion, Reply, Visibility
from discussions.related import related_candidates_update
from discussions.search import search_index_update


def index_now(discussion_id: int) -> None:
    """What the workers do for a changed discussion: the search index job, then the related
    rescoring that job debounces."""
    search_index_update(discussion_id)
    related_candidates_update(discussion_id)


SHARED_WORD = "zebrafish"


def make_community(slug: str, *, policy: str = Community.Policy.OPEN, members: tuple = ()) -> Community:
    tag, _ = Tag.objects.get_or_create(name=slug, defaults={"slug": slug})
    community = Community.objects.create(slug=slug, tag=tag, name=slug.title(), policy=policy)
    for user in members:
        Membership.objects.create(user=user, community=community)
    return community


def make_discussion(
    author: User | None,
    title: str,
    body: str,
    *,
    visibility: str = Visibility.PUBLIC,
    communities: tuple = (),
    index: bool = True,
    **fields,
) -> Discussion:
    discussion = Discussion.objects.create(
        author=author,
        title=title,
        body=body,
        body_html=f"<p>{body}</p>",
        last_activity_at=timezone.now(),
        visibility=visibility,
        **fields,
    )
    for community in communities:
        discussion.tags.add(community.tag)
    if index:
        index_now(discussion.pk)
    return discussion


def make_reply(
    discussion: Discussion, author: User | None, body: str, *, parent: Reply | None = None, **fields
) -> Reply:
    number = discussion.last_reply_number + 1
    reply = Reply.objects.create(
        discussion=discussion,
        number=number,
        path=(f"{parent.path}." if parent else "") + f"{number:06d}",
        depth=(parent.depth + 1) if parent else 0,
        parent=parent,
        author=author,
        body=body,
        body_html=f"<p>{body}</p>",
        **fields,
    )
    Discussion.objects.filter(pk=discussion.pk).update(
        last_reply_number=number, published_reply_count=discussion.published_reply_count + 1
    )
    discussion.refresh_from_db()
    index_now(discussion.pk)
    return reply


@dataclass
class World:
    community: Community
    private_community: Community
    users: dict = field(default_factory=dict)
    posts: dict = field(default_factory=dict)

    def canaries(self, name: str) -> list[str]:
        return [f"title{name}canary", f"body{name}canary"]


# What each viewer may read: the privacy matrix's expected answers.
EXPECTED = {
    "anonymous": {"pub", "cw"},
    "outsider": {"pub", "mem", "cw"},
    "member": {"pub", "mem", "com", "priv", "cw"},
    "author": {"pub", "mem", "com", "priv", "cw"},
    "staff": {"pub", "mem", "com", "priv", "cw"},
}
ALL_POSTS = ("pub", "mem", "com", "priv", "rem", "cw")


@pytest.fixture
def world(user_factory, member, other_member, outsider) -> World:
    """alice (author) and carol (member of both communities) and bob (signed in, in none)."""
    staff = user_factory("stella", is_staff=True)
    community = make_community("mecfs", members=(member, other_member))
    CommunityAlias.objects.create(community=community, name="cfs", status=CommunityAlias.Status.ACCEPTED)
    private = make_community("hush", policy=Community.Policy.PRIVATE, members=(member, other_member))
    world = World(community=community, private_community=private)
    world.users = {"member": other_member, "outsider": outsider, "author": member, "staff": staff}

    def post(name: str, **fields) -> Discussion:
        title, body = world.canaries(name)
        return make_discussion(
            member,
            f"{SHARED_WORD} fatigue pacing {title}",
            f"Living with {SHARED_WORD} fatigue pacing. {body} more words here.",
            **fields,
        )

    world.posts = {
        "pub": post("pub", visibility=Visibility.PUBLIC, communities=(community,)),
        "mem": post("mem", visibility=Visibility.MEMBERS, communities=(community,)),
        "com": post("com", visibility=Visibility.COMMUNITY, communities=(community,)),
        "priv": post("priv", visibility=Visibility.PUBLIC, communities=(private,)),
        "rem": post("rem", visibility=Visibility.PUBLIC, communities=(community,), status=Discussion.Status.REMOVED),
        "cw": post("cw", visibility=Visibility.PUBLIC, communities=(community,), content_warning="graphic symptoms"),
    }
    # Re-score everything now that all candidates exist (each post only knew the earlier ones).
    for discussion in world.posts.values():
        index_now(discussion.pk)
    return world


def client_for(world: World, viewer: str) -> Client:
    client = Client()
    if viewer != "anonymous":
        client.force_login(world.users[viewer])
    return client


def viewer_user(world: World, viewer: str):
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser() if viewer == "anonymous" else world.users[viewer]


def needs_postgres():
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL full-text search: set DATABASE_URL=postgres://... (CI does)",
    )


@pytest.fixture
def discovery_urls(settings):
    """Immediate notification emails are jobs; in tests they run once the change commits."""
