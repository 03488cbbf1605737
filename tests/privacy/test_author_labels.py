"""One author label on every surface (``discussions.presenters.author_label``).

An anonymous post never names its author, except to the author ("you (anonymous)");
a post whose author deleted their account (keeping their posts) says "Former member"
on every surface. Each surface is driven through its real view, socket frame or email.
"""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from accounts.account_deletion import PostsChoice, account_delete
from accounts.models import User
from community.models import Community, Membership
from discussions import services
from discussions.live.admission import Audience
from discussions.live.frames import build_reply_frames
from discussions.models import Discussion, Reply, Visibility
from moderation.models import Flag
from notifications.models import Notification, NotificationPreference
from notifications.preferences import digest_time_set

pytestmark = pytest.mark.django_db

ANONYMOUS = "Anonymous member"
OWN_ANONYMOUS = "you (anonymous)"
FORMER = "Former member"


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _names_carol(html: str) -> bool:
    return "Carol" in html or "/u/carol/" in html


@pytest.fixture
def mecfs(community_factory, member, other_member, moderator) -> Community:
    community = community_factory("mecfs", name="ME/CFS")
    Membership.objects.create(user=member, community=community)
    Membership.objects.create(user=other_member, community=community)
    Membership.objects.create(user=moderator, community=community, role=Membership.Role.MODERATOR)
    return community


def _discussion(author: User, *, title: str = "Pacing on bad days", anonymous: bool = False) -> Discussion:
    return services.discussion_create(
        author=author,
        title=title,
        body="What helps you pace?",
        hashtags=["mecfs"],
        visibility=Visibility.PUBLIC,
        is_anonymous=anonymous,
    )


def _reply(author: User, discussion: Discussion, *, anonymous: bool = False) -> Reply:
    return services.reply_create(
        author=author, discussion=discussion, body="Rest before you need to", is_anonymous=anonymous
    )


def _deleted(user: User) -> None:
    """The member deletes their account and keeps their posts (shown as a former member)."""
    account_delete(user=user, posts=PostsChoice.ANONYMISE)


def _catch_up(client: Client, discussion: Discussion) -> str:
    response = client.get(f"/d/{discussion.pk}/replies/?after=0", headers={"Accept": "application/json"})
    return "".join(item["html"] for item in json.loads(response.content)["replies"])


def _frames(reply: Reply, *, member: User, author: User | None) -> dict[str, str]:
    event = {"type": "reply.created", "discussion_id": reply.discussion_id, "number": reply.number}
    present = {author.pk: author} if author is not None else {}
    frames, _ = build_reply_frames(event, 1, {Audience.MEMBER: [member], Audience.VISITOR: [None]}, present)
    return {audience: json.loads(frame).get("html", "") for audience, frame in frames.items()}


def _flag(post: Discussion | Reply, flagger: User) -> None:
    field = "reply" if isinstance(post, Reply) else "discussion"
    Flag.objects.create(flagger=flagger, reason=Flag.Reason.SPAM, **{field: post})


def _replied_to(discussion_author: User, replier: User, *, anonymous: bool, capture, email: str) -> Reply:
    """``replier`` answers ``discussion_author``'s public discussion; the author hears of it
    in the app and by email (``email``: immediate or digest)."""
    NotificationPreference.objects.create(
        user=discussion_author, kind=Notification.Kind.REPLY_TO_DISCUSSION, in_app=True, email=email
    )
    discussion = _discussion(discussion_author)
    with capture(execute=True):
        return _reply(replier, discussion, anonymous=anonymous)


# --- Anonymous posts ---------------------------------------------------------------------


def test_the_discussion_page_names_an_anonymous_author_to_the_author_alone(mecfs, member, other_member):
    discussion = _discussion(other_member, anonymous=True)

    for reader in (None, member):
        html = _client(reader).get(discussion.get_absolute_url()).content.decode()
        assert f"Started by\n      {ANONYMOUS}" in html
        assert not _names_carol(html)
    assert (
        f"Started by\n      {OWN_ANONYMOUS}"
        in _client(other_member).get(discussion.get_absolute_url()).content.decode()
    )


def test_a_reply_on_the_page_names_an_anonymous_author_to_the_author_alone(mecfs, member, other_member):
    discussion = _discussion(member)
    _reply(other_member, discussion, anonymous=True)

    html = _client(member).get(discussion.get_absolute_url()).content.decode()
    assert ANONYMOUS in html
    assert not _names_carol(html)
    assert OWN_ANONYMOUS in _client(other_member).get(discussion.get_absolute_url()).content.decode()


def test_catch_up_names_an_anonymous_author_to_the_author_alone(mecfs, member, other_member):
    discussion = _discussion(member)
    _reply(other_member, discussion, anonymous=True)

    html = _catch_up(_client(member), discussion)
    assert ANONYMOUS in html
    assert not _names_carol(html)
    assert OWN_ANONYMOUS in _catch_up(_client(other_member), discussion)


def test_live_frames_name_an_anonymous_author_to_the_author_alone(mecfs, member, other_member):
    discussion = _discussion(member)
    reply = _reply(other_member, discussion, anonymous=True)

    frames = _frames(reply, member=member, author=other_member)

    for audience in (Audience.MEMBER, Audience.VISITOR):
        assert ANONYMOUS in frames[audience]
        assert not _names_carol(frames[audience])
    assert OWN_ANONYMOUS in frames[Audience.AUTHOR]


@pytest.mark.parametrize("path", ["/c/mecfs/", "/"], ids=["community", "home"])
def test_discussion_lists_name_an_anonymous_author_to_the_author_alone(mecfs, member, other_member, path):
    _discussion(other_member, anonymous=True)

    for reader in (None, member):
        html = _client(reader).get(path).content.decode()
        assert ANONYMOUS in html
        assert not _names_carol(html)
    assert OWN_ANONYMOUS in _client(other_member).get(path).content.decode()


def test_the_moderation_queue_and_review_never_name_an_anonymous_author(mecfs, member, other_member, moderator):
    discussion = _discussion(member)
    reply = _reply(other_member, discussion, anonymous=True)
    _flag(reply, member)

    for path in ("/mod/", f"/mod/reply/{reply.pk}/"):
        html = _client(moderator).get(path).content.decode()
        assert f"by {ANONYMOUS}" in html
        assert not _names_carol(html)


def test_the_notification_list_never_names_an_anonymous_author(
    mecfs, member, other_member, django_capture_on_commit_callbacks
):
    _replied_to(member, other_member, anonymous=True, capture=django_capture_on_commit_callbacks, email="off")

    html = _client(member).get("/notifications/").content.decode()
    assert f"{ANONYMOUS} replied to your discussion" in html
    assert not _names_carol(html)


def test_a_notification_email_never_names_an_anonymous_author(
    mecfs, member, other_member, django_capture_on_commit_callbacks
):
    _replied_to(
        member,
        other_member,
        anonymous=True,
        capture=django_capture_on_commit_callbacks,
        email=NotificationPreference.Email.IMMEDIATE,
    )

    [email] = mail.outbox
    assert f"(by {ANONYMOUS})" in email.body
    assert not _names_carol(email.body + str(email.alternatives))


# --- A deleted author -------------------------------------------------------------------


def test_a_deleted_author_is_a_former_member_on_the_page_catch_up_and_live_frames(mecfs, member, other_member):
    discussion = _discussion(other_member)
    reply = _reply(other_member, discussion)
    _deleted(other_member)
    reply.refresh_from_db()

    page = _client(member).get(discussion.get_absolute_url()).content.decode()
    assert f"Started by\n      {FORMER}" in page
    assert page.count(FORMER) == 2  # the discussion and the reply
    assert FORMER in _catch_up(_client(member), discussion)
    assert FORMER in _frames(reply, member=member, author=None)[Audience.MEMBER]


@pytest.mark.parametrize("path", ["/c/mecfs/", "/"], ids=["community", "home"])
def test_a_deleted_author_is_a_former_member_in_discussion_lists(mecfs, member, other_member, path):
    _discussion(other_member)
    _deleted(other_member)

    html = _client(member).get(path).content.decode()
    assert FORMER in html
    assert not _names_carol(html)


def test_a_deleted_author_is_a_former_member_in_the_moderation_queue(mecfs, member, other_member, moderator):
    discussion = _discussion(member)
    reply = _reply(other_member, discussion)
    _flag(reply, member)
    _deleted(other_member)

    for path in ("/mod/", f"/mod/reply/{reply.pk}/"):
        assert f"by {FORMER}" in _client(moderator).get(path).content.decode()


def test_a_deleted_author_is_a_former_member_in_notifications_and_their_emails(
    mecfs, member, other_member, django_capture_on_commit_callbacks
):
    _replied_to(
        member,
        other_member,
        anonymous=False,
        capture=django_capture_on_commit_callbacks,
        email=NotificationPreference.Email.DIGEST,
    )
    digest_time_set(user=member, hour=0, time_zone="UTC")  # due whatever the hour the test runs at
    _deleted(other_member)

    html = _client(member).get("/notifications/").content.decode()
    assert f"{FORMER} replied to your discussion" in html
    call_command("send_notification_digests", stdout=StringIO())
    [email] = mail.outbox
    assert f"(by {FORMER})" in email.body


def test_a_named_author_is_linked_by_name_on_every_surface(mecfs, member, other_member, moderator):
    discussion = _discussion(other_member, title="Named")
    reply = _reply(other_member, discussion)
    _flag(reply, member)
    link = '<a href="/u/carol/">Carol</a>'

    assert link in _client(member).get(discussion.get_absolute_url()).content.decode()
    assert link in _client(member).get("/c/mecfs/").content.decode()
    assert link in _catch_up(_client(member), discussion)
    assert link in _frames(reply, member=member, author=None)[Audience.MEMBER]
    assert link in _client(moderator).get("/mod/").content.decode()
