"""The privacy matrix world: every kind of viewer, every state a discussion can be in.

Each discussion carries its own canaries in its title, body and one reply, so any
page, fragment, JSON document or frame can be swept for what it must not hold. The
anonymous discussion is written by "zed", who never posts under his own name: any
trace of his identity canaries outside his own view is a de-anonymisation.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from taggit.models import Tag

from accounts.models import Block, User
from community.models import Community, Membership
from discussions.models import Discussion, Reply, Visibility
from tests.helpers.discovery import index_now

STATES = ["public", "members", "community", "private", "anonymous", "warning", "removed", "held"]
VIEWERS = ["visitor", "outsider", "member", "blocked", "author", "mod_other", "mod_this", "staff"]

# Who may read a discussion in each state. Written out by hand, not computed from the
# rule under test.       public members community private anonymous warning removed held
_Y, _N = True, False
EXPECTED = {
    "visitor": (_Y, _N, _N, _N, _Y, _Y, _N, _N),
    "outsider": (_Y, _Y, _N, _N, _Y, _Y, _N, _N),
    "member": (_Y, _Y, _Y, _Y, _Y, _Y, _N, _N),
    "blocked": (_Y, _Y, _Y, _Y, _Y, _Y, _N, _N),
    "author": (_Y, _Y, _Y, _Y, _Y, _Y, _N, _Y),
    "mod_other": (_Y, _Y, _N, _N, _Y, _Y, _N, _N),
    "mod_this": (_Y, _Y, _Y, _Y, _Y, _Y, _N, _N),
    "staff": (_Y, _Y, _Y, _Y, _Y, _Y, _N, _N),
}
WARNING_LABEL = "graphic symptoms"
SHARED_WORD = "quokkafern"
# Zed writes only anonymously: none of these may reach anyone but Zed.
ZED_IDENTITY = ("zedidcnry", "Zedfirst Idcnrylast", "zedmail-idcnry@example.org")


def allowed(viewer: str, state: str) -> bool:
    return EXPECTED[viewer][STATES.index(state)]


def title_canary(state: str) -> str:
    return f"ttl{state}qx"


def body_canary(state: str) -> str:
    return f"bdy{state}qx"


def reply_canary(state: str) -> str:
    return f"rpl{state}qx"


def canaries(state: str) -> tuple[str, str, str]:
    return title_canary(state), body_canary(state), reply_canary(state)


@dataclass
class World:
    users: dict[str, User]
    posts: dict[str, Discussion]
    community: Community
    private: Community
    other: Community
    clients: dict[str, Client] = field(default_factory=dict)

    def viewer(self, name: str):
        return AnonymousUser() if name == "visitor" else self.users[name]

    def client(self, name: str) -> Client:
        if name not in self.clients:
            client = Client()
            if name != "visitor":
                client.force_login(self.users[name])
            self.clients[name] = client
        return self.clients[name]

    def reloaded(self) -> "World":
        """The same rows as fresh objects, with no signed-in clients yet."""
        users = User.objects.in_bulk([user.pk for user in self.users.values()])
        posts = Discussion.objects.in_bulk([post.pk for post in self.posts.values()])
        communities = Community.objects.in_bulk([self.community.pk, self.private.pk, self.other.pk])
        return World(
            users={name: users[user.pk] for name, user in self.users.items()},
            posts={state: posts[post.pk] for state, post in self.posts.items()},
            community=communities[self.community.pk],
            private=communities[self.private.pk],
            other=communities[self.other.pk],
        )

    def hidden_from(self, viewer: str) -> list[str]:
        return [state for state in STATES if not allowed(viewer, state)]

    def visible_to(self, viewer: str) -> list[str]:
        return [state for state in STATES if allowed(viewer, state)]


def _community(slug: str, policy: str = Community.Policy.OPEN) -> Community:
    tag = Tag.objects.create(name=slug, slug=slug)
    return Community.objects.create(slug=slug, tag=tag, name=slug.title(), policy=policy)


def _member(user: User, community: Community, role: str = Membership.Role.MEMBER) -> None:
    Membership.objects.create(user=user, community=community, role=role)


def _discussion(state: str, author: User, community: Community) -> Discussion:
    visibility = {
        "members": Visibility.MEMBERS,
        "community": Visibility.COMMUNITY,
        "private": Visibility.COMMUNITY,
    }.get(state, Visibility.PUBLIC)
    status = {"removed": Discussion.Status.REMOVED, "held": Discussion.Status.HELD}.get(
        state, Discussion.Status.PUBLISHED
    )
    title, body, _ = canaries(state)
    discussion = Discussion.objects.create(
        author=author,
        title=f"{title} {SHARED_WORD} pacing",
        body=f"{body} {SHARED_WORD} pacing notes",
        body_html=f"<p>{body} {SHARED_WORD} pacing notes</p>",
        visibility=visibility,
        status=status,
        is_anonymous=state == "anonymous",
        content_warning=WARNING_LABEL if state == "warning" else "",
        last_activity_at=timezone.now(),
    )
    discussion.tags.add(community.tag)
    return discussion


def _reply(discussion: Discussion, author: User, state: str) -> Reply:
    Discussion.objects.filter(pk=discussion.pk).update(last_reply_number=1, published_reply_count=1)
    return Reply.objects.create(
        discussion=discussion,
        author=author,
        number=1,
        path="000001",
        body=f"{reply_canary(state)} rest first",
        body_html=f"<p>{reply_canary(state)} rest first</p>",
    )


NONCE = re.compile(r'nonce="[^"]*"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def leaks(text: str, world: World, viewer: str, *, states=STATES) -> list[str]:
    """Every canary in ``text`` that the viewer must not see: text of hidden
    discussions, and the anonymous author's identity."""
    found = []
    for state in states:
        if not allowed(viewer, state):
            found += [canary for canary in canaries(state) if canary in text]
    found += [identity for identity in ZED_IDENTITY if identity.lower() in text.lower()]
    return found


# The header's low-energy toggle and a signed-out visitor's "Sign in" return to the page
# asked for: the parts of a 404 that echo its own address, which the requester typed and
# so learns nothing from.
NEXT_PAGE = re.compile(r'name="next" value="[^"]*"')
NEXT_LINK = re.compile(r'\?next=[^"]*"')


def normalised(html: str) -> str:
    return NEXT_LINK.sub("", NEXT_PAGE.sub("", CSRF.sub("", NONCE.sub("", html))))


def build_world(user_factory) -> World:
    """Make every viewer and every state; ``user_factory`` is the fixture of that name."""
    users = {
        "outsider": user_factory("bobout", display_name="Bob Outsider"),
        "member": user_factory("carolm", display_name="Carol Member"),
        "blocked": user_factory("davebl", display_name="Dave Blocked"),
        "author": user_factory("aliceau", display_name="Alice Author"),
        "mod_other": user_factory("erinmo", display_name="Erin Modother"),
        "mod_this": user_factory("faymt", display_name="Fay Modthis"),
        "staff": user_factory("jostaff", display_name="Jo Staff", is_staff=True),
        "zed": user_factory(ZED_IDENTITY[0], display_name=ZED_IDENTITY[1], email=ZED_IDENTITY[2]),
    }
    community = _community("cnrycomm")
    private = _community("cnrypriv", Community.Policy.PRIVATE)
    other = _community("elsewhere")
    for name in ("member", "blocked", "author", "zed"):
        _member(users[name], community)
        _member(users[name], private)
    _member(users["mod_this"], community, Membership.Role.MODERATOR)
    _member(users["mod_this"], private, Membership.Role.MODERATOR)
    _member(users["mod_other"], other, Membership.Role.MODERATOR)
    Block.objects.create(blocker=users["author"], blocked=users["blocked"])

    posts = {}
    for state in STATES:
        author = users["zed"] if state == "anonymous" else users["author"]
        posts[state] = _discussion(state, author, private if state == "private" else community)
        _reply(posts[state], users["member"], state)
    for discussion in posts.values():
        index_now(discussion.pk)
    return World(users=users, posts=posts, community=community, private=private, other=other)
