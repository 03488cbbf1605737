"""When a member may no longer see a discussion, their open sockets close (4403)
within a second, and nothing published afterwards reaches them. One test per cause."""

import pytest
from allauth.account.signals import password_reset
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client
from taggit.models import Tag

from community.models import Community, Membership
from discussions import events
from discussions.live import admission, sweeps, timing
from discussions.live.hub import get_hub, reset_hubs
from discussions.models import Discussion, Visibility
from tests.helpers.live import (
    add_reply,
    assert_closed_with,
    communicator,
    db,
    follow,
    make_discussion,
    receive_type,
)
from tests.helpers.users import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("transport", "fresh_hub")]


def community_discussion(author, reader, *, policy=Community.Policy.OPEN) -> Discussion:
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    community = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", policy=policy)
    for user in (author, reader):
        Membership.objects.create(user=user, community=community)
    discussion = make_discussion(author, visibility=Visibility.COMMUNITY)
    discussion.tags.add(tag)
    return discussion


async def signed_in(user) -> tuple[Client, bytes]:
    client = Client()
    await db(client.force_login)(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


async def then_a_reply_is_posted_and_not_received(comm, discussion, author) -> None:
    await db(add_reply)(discussion, author, "after the revocation")
    await assert_closed_with(comm, admission.CLOSE_FORBIDDEN)


async def test_leaving_the_community_through_its_page_closes_the_socket(member, other_member):
    discussion = await db(community_discussion)(member, other_member)
    leaver, cookie = await signed_in(other_member)
    comm, _ = await follow(discussion.pk, cookie=cookie)
    author_comm, _ = await follow(discussion.pk, member)

    response = await db(leaver.post)("/c/mecfs/leave/")

    assert response.status_code == 302
    assert not await db(Membership.objects.filter(user=other_member).exists)()
    await then_a_reply_is_posted_and_not_received(comm, discussion, member)
    # The author, still a member, keeps reading.
    assert "after the revocation" in (await receive_type(author_comm, "reply.created"))["html"]
    await author_comm.disconnect()


async def test_being_banned_by_the_communitys_moderator_closes_the_socket(member, other_member, moderator):
    discussion = await db(community_discussion)(member, other_member)
    await db(Membership.objects.create)(
        user=moderator, community=await db(Community.objects.get)(slug="mecfs"), role=Membership.Role.MODERATOR
    )
    moderating, _ = await signed_in(moderator)
    comm, _ = await follow(discussion.pk, other_member)
    author_comm, _ = await follow(discussion.pk, member)

    response = await db(moderating.post)(
        f"/mod/members/{other_member.pk}/ban/", {"community": "mecfs", "reason": "Abuse"}
    )

    assert response.status_code == 302
    await then_a_reply_is_posted_and_not_received(comm, discussion, member)
    # Everyone else keeps reading.
    assert "after the revocation" in (await receive_type(author_comm, "reply.created"))["html"]
    await author_comm.disconnect()


async def test_a_suspended_or_deactivated_account_is_closed(member, other_member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    comm, _ = await follow(discussion.pk, other_member)

    def deactivate() -> None:
        other_member.is_active = False
        other_member.save()  # the post_save receiver publishes access_changed

    await db(deactivate)()
    await then_a_reply_is_posted_and_not_received(comm, discussion, member)


async def test_a_discussion_made_more_private_closes_the_readers_who_lost_it(member, other_member):
    discussion = await db(community_discussion)(member, other_member)
    await db(Discussion.objects.filter(pk=discussion.pk).update)(visibility=Visibility.PUBLIC)
    visitor, _ = await follow(discussion.pk)
    outsider_member, _ = await follow(discussion.pk, await db(lambda: _user("dora"))())
    insider, _ = await follow(discussion.pk, other_member)

    def make_community_only() -> None:
        with transaction.atomic():
            Discussion.objects.filter(pk=discussion.pk).update(visibility=Visibility.COMMUNITY)
            events.discussion_changed(discussion_id=discussion.pk)

    await db(make_community_only)()
    await assert_closed_with(visitor, admission.CLOSE_FORBIDDEN)
    await assert_closed_with(outsider_member, admission.CLOSE_FORBIDDEN)
    assert (await receive_type(insider, "discussion"))["locked"] is False
    await insider.disconnect()


def _user(username: str):
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.create_user(username=username, email=f"{username}@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


async def test_a_removed_discussion_closes_every_socket(member, other_member):
    discussion = await db(make_discussion)(member)
    comm, _ = await follow(discussion.pk, other_member)

    def remove() -> None:
        with transaction.atomic():
            Discussion.objects.filter(pk=discussion.pk).update(status=Discussion.Status.REMOVED)
            events.discussion_changed(discussion_id=discussion.pk)

    await db(remove)()
    await assert_closed_with(comm, admission.CLOSE_FORBIDDEN)


async def test_signing_out_closes_that_sessions_socket_and_not_the_others(member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    laptop, laptop_cookie = await signed_in(member)
    _, phone_cookie = await signed_in(member)
    laptop_socket, _ = await follow(discussion.pk, cookie=laptop_cookie)
    phone_socket, _ = await follow(discussion.pk, cookie=phone_cookie)

    await db(laptop.logout)()  # django's user_logged_out signal

    await assert_closed_with(laptop_socket, admission.CLOSE_FORBIDDEN)
    await db(add_reply)(discussion, member, "from the phone")
    assert "from the phone" in (await receive_type(phone_socket, "reply.created"))["html"]
    await phone_socket.disconnect()


async def test_changing_the_password_elsewhere_closes_the_other_sessions(member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    here, here_cookie = await signed_in(member)
    _, elsewhere_cookie = await signed_in(member)
    here_socket, _ = await follow(discussion.pk, cookie=here_cookie)
    elsewhere_socket, _ = await follow(discussion.pk, cookie=elsewhere_cookie)

    new_password = "a different horse battery"
    response = await db(here.post)(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302, response.content[:500]

    await then_a_reply_is_posted_and_not_received(elsewhere_socket, discussion, member)
    # The session that changed it was given a new key (Django cycles it), so its
    # old socket goes too; the page reconnects with the new cookie and is welcome.
    await assert_closed_with(here_socket, admission.CLOSE_FORBIDDEN)
    again, _ = await follow(discussion.pk, cookie=f"sessionid={here.cookies['sessionid'].value}".encode())
    await db(add_reply)(discussion, member, "after the change")
    assert "after the change" in (await receive_type(again, "reply.created"))["html"]
    await again.disconnect()


async def test_a_password_reset_closes_every_session(member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    comm, _ = await follow(discussion.pk, member)

    def reset() -> None:
        member.set_password("reset by email link")
        member.save()
        password_reset.send(sender=type(member), request=None, user=member)

    await db(reset)()
    await assert_closed_with(comm, admission.CLOSE_FORBIDDEN)


async def test_a_session_ended_without_a_signal_is_closed_by_the_sweep(monkeypatch, member):
    monkeypatch.setattr(timing, "PRESENCE_HEARTBEAT", 0.1)
    monkeypatch.setattr(timing, "SESSION_SWEEP", 0.05)
    await reset_hubs()  # the heartbeat reads its interval when it starts
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    client, cookie = await signed_in(member)
    comm, _ = await follow(discussion.pk, cookie=cookie)

    await db(Session.objects.filter(session_key=client.session.session_key).delete)()

    await assert_closed_with(comm, admission.CLOSE_FORBIDDEN, timeout=1.0)


async def test_access_changed_for_someone_else_leaves_a_reader_alone(member, other_member):
    discussion = await db(make_discussion)(member)
    comm, _ = await follow(discussion.pk, other_member)

    def unrelated() -> None:
        with transaction.atomic():
            events.access_changed(user_id=member.pk)

    await db(unrelated)()
    await db(add_reply)(discussion, member, "carry on")
    assert "carry on" in (await receive_type(comm, "reply.created"))["html"]
    await comm.disconnect()


async def test_locking_a_public_discussion_does_not_recheck_each_reader(monkeypatch, member, other_member):
    rechecked = []
    real = sweeps._recheck_all
    monkeypatch.setattr(sweeps, "_recheck_all", lambda keys: rechecked.append(keys) or real(keys))
    discussion = await db(make_discussion)(member, visibility=Visibility.PUBLIC)
    comm, _ = await follow(discussion.pk, other_member)

    def lock() -> None:
        with transaction.atomic():
            Discussion.objects.filter(pk=discussion.pk).update(is_locked=True)
            events.discussion_changed(discussion_id=discussion.pk)

    await db(lock)()

    assert (await receive_type(comm, "discussion"))["locked"] is True
    assert rechecked == []
    await comm.disconnect()


async def test_access_lost_between_admission_and_registration_still_closes_the_socket(
    member, other_member, monkeypatch
):
    discussion = await db(community_discussion)(member, other_member)
    _, cookie = await signed_in(other_member)
    hub = await get_hub()
    admit = admission.admission

    def admitted_then_removed(user, discussion_id):
        # The member is admitted, then loses access and the hub handles that event
        # before this socket is registered.
        verdict = admit(user, discussion_id)
        Membership.objects.filter(user=other_member).delete()
        hub.access_epoch += 1
        return verdict

    monkeypatch.setattr(admission, "admission", admitted_then_removed)
    comm = communicator(f"/ws/d/{discussion.pk}/", cookie)
    connected, _ = await comm.connect()

    assert connected
    await assert_closed_with(comm, admission.CLOSE_FORBIDDEN)
