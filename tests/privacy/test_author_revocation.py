"""An author who loses access to their own discussion keeps their words only through export.

Being the author gives no way back in: once a member may no longer read a discussion
(removed from or banned by its private community, left the community a community-only
discussion is for, or staff moved it into a private community they are not in), its
page, catch-up JSON, search, the home feed, the reply form and their open socket treat
them as any other outsider. Every cause is driven through the real view, then every
surface is checked, before (so no check passes by accident) and after.
"""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.data_export import data_export_contents
from accounts.models import User
from community.models import Community, Membership
from discussions import services
from discussions.live.admission import CLOSE_FORBIDDEN, admission
from discussions.live.timing import on_live_thread
from discussions.models import Discussion, Reply, Visibility
from tests.helpers.live import assert_closed_with, db, follow, receive

live_test = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("transport", "fresh_hub")]

TITLE = "Wombatlantern pacing diary"
SEARCH_WORD = "wombatlantern"
AUTHORS_REPLY = "Numbatquill notes of my own"
NEXT_REPLY = "Quokkaspire news after the change"


@dataclass
class Scene:
    author: User
    reader: User
    actor: User
    discussion: Discussion
    community: Community
    private: Community


def _join(user: User, community: Community, role: str = Membership.Role.MEMBER) -> Membership:
    return Membership.objects.create(user=user, community=community, role=role)


def _set_scene(user_factory, community_factory, cause: str) -> Scene:
    author = user_factory("wren", display_name="Wren")
    reader = user_factory("ilse", display_name="Ilse")
    open_community = community_factory("mecfs", name="ME/CFS")
    private = community_factory("circle", name="Circle", policy=Community.Policy.PRIVATE)
    if cause == "moved":
        actor = user_factory("jo", display_name="Jo (staff)", is_staff=True, two_factor=True)
    else:
        actor = user_factory("sam", display_name="Sam", two_factor=True)
        _join(actor, private, Membership.Role.MODERATOR)
    for user in (author, reader):
        _join(user, open_community)
    _join(reader, private)
    if cause in ("removed", "banned"):
        _join(author, private)
    posted_in = private if cause in ("removed", "banned") else open_community
    discussion = services.discussion_create(
        author=author,
        title=TITLE,
        body="What I managed this week, and what it cost.",
        hashtags=[posted_in.slug],
        # Staff move a discussion anyone signed in could read; the others are community-only.
        visibility=Visibility.MEMBERS if cause == "moved" else Visibility.COMMUNITY,
    )
    services.reply_create(author=author, discussion=discussion, body=AUTHORS_REPLY)
    return Scene(author, reader, actor, discussion, open_community, private)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cause(scene: Scene, cause: str) -> None:
    """Take the author's access away the way a member, moderator or staff really does."""
    author, actor = scene.author, _signed_in(scene.actor)
    if cause == "removed":
        membership = Membership.objects.get(user=author, community=scene.private)
        response = actor.post(f"/c/circle/members/{membership.pk}/remove/")
        assert not Membership.objects.filter(pk=membership.pk).exists()
    elif cause == "banned":
        response = actor.post(f"/mod/members/{author.pk}/ban/", {"community": "circle", "reason": "Spam"})
        assert Membership.objects.get(user=author, community=scene.private).status == Membership.Status.BANNED
    elif cause == "left":
        response = _signed_in(author).post("/c/mecfs/leave/")
        assert not Membership.objects.filter(user=author, community=scene.community).exists()
    else:
        response = actor.post(f"/mod/discussion/{scene.discussion.pk}/retag/", {"hashtags": "circle", "reason": ""})
        assert set(scene.discussion.tags.names()) == {"circle"}
    assert response.status_code == 302, response.content[:500]


def _what_the_author_sees(client: Client, discussion: Discussion) -> dict[str, bool]:
    page = client.get(f"/d/{discussion.pk}/")
    catch_up = client.get(f"/d/{discussion.pk}/replies/?after=0", HTTP_ACCEPT="application/json")
    search = client.get(f"/search/?q={SEARCH_WORD}")
    home = client.get("/")
    assert search.status_code == home.status_code == 200
    assert page.status_code in (200, 404) and catch_up.status_code in (200, 404)
    return {
        "page": page.status_code == 200 and TITLE in page.content.decode(),
        "catch-up": catch_up.status_code == 200 and AUTHORS_REPLY in json.dumps(json.loads(catch_up.content)),
        # Results highlight the matched word, so look for the link instead of the title.
        "search": f'href="{discussion.get_absolute_url()}' in search.content.decode(),
        "home": TITLE in home.content.decode(),
    }


def _reply_as_author(client: Client, discussion: Discussion) -> int:
    before = Reply.objects.filter(discussion=discussion).count()
    response = client.post(f"/d/{discussion.pk}/reply/", {"body": "Still here?"})
    assert Reply.objects.filter(discussion=discussion).count() == before, "a reply was created"
    assert TITLE not in response.content.decode()
    return response.status_code


@pytest.mark.parametrize("cause", ["removed", "banned", "left", "moved"])
@live_test[0]
@live_test[1]
async def test_an_author_who_lost_access_keeps_their_words_only_through_export(cause, user_factory, community_factory):
    scene = await db(_set_scene)(user_factory, community_factory, cause)
    author = await db(_signed_in)(scene.author)
    assert await db(_what_the_author_sees)(author, scene.discussion) == dict.fromkeys(
        ("page", "catch-up", "search", "home"), True
    )
    socket, _ = await follow(scene.discussion.pk, scene.author)

    await db(_cause)(scene, cause)
    await db(services.reply_create)(author=scene.reader, discussion=scene.discussion, body=NEXT_REPLY)

    # The open socket is closed, and the next reply never reaches it.
    await assert_closed_with(socket, CLOSE_FORBIDDEN)
    assert await db(_what_the_author_sees)(author, scene.discussion) == dict.fromkeys(
        ("page", "catch-up", "search", "home"), False
    )
    assert await db(_reply_as_author)(author, scene.discussion) == 404
    assert await on_live_thread(admission)(scene.author, scene.discussion.pk) is None
    # What they wrote is still theirs to take away.
    archive = await db(data_export_contents)(scene.author)
    assert [d["title"] for d in archive["discussions"]] == [TITLE]
    assert [r["body"] for r in archive["replies"]] == [AUTHORS_REPLY]


@pytest.mark.parametrize("cause", ["removed", "banned", "left", "moved"])
@live_test[0]
@live_test[1]
async def test_the_readers_who_still_belong_keep_reading_live(cause, user_factory, community_factory):
    scene = await db(_set_scene)(user_factory, community_factory, cause)
    reader_socket, _ = await follow(scene.discussion.pk, scene.reader)

    await db(_cause)(scene, cause)
    await db(services.reply_create)(author=scene.reader, discussion=scene.discussion, body=NEXT_REPLY)

    frame = await receive(reader_socket)
    while frame["type"] in ("presence", "discussion"):  # a move announces the discussion's new state first
        frame = await receive(reader_socket)
    assert frame["type"] == "reply.created" and NEXT_REPLY in frame["html"]
    await reader_socket.disconnect()


@pytest.mark.django_db
def test_an_author_who_left_no_longer_sees_their_own_held_discussion(user_factory, community_factory):
    scene = _set_scene(user_factory, community_factory, "left")
    Discussion.objects.filter(pk=scene.discussion.pk).update(status=Discussion.Status.HELD)
    author = _signed_in(scene.author)
    assert author.get(f"/d/{scene.discussion.pk}/").status_code == 200  # held, and theirs to see while a member

    _cause(scene, "left")

    assert author.get(f"/d/{scene.discussion.pk}/").status_code == 404
    assert TITLE not in author.get("/").content.decode()


@pytest.mark.django_db
def test_a_reply_racing_the_removal_is_refused_with_the_same_404(monkeypatch, user_factory, community_factory):
    """The page's check ran before the removal committed; the service's check under
    the discussion's lock still refuses, and shows nothing of the discussion."""
    from discussions import views

    scene = _set_scene(user_factory, community_factory, "removed")
    _cause(scene, "removed")
    monkeypatch.setattr(views, "discussion_page_get_or_404", lambda viewer, pk: Discussion.objects.get(pk=pk))

    assert _reply_as_author(_signed_in(scene.author), scene.discussion) == 404
