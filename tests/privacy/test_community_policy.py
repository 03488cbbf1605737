"""Staff change a community's policy on its own page (/c/<hashtag>/policy/), through
``community_set_policy``: audited, and whoever may no longer read its discussions
loses their open sockets at once, signed-out visitors included."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community import services
from community.models import Community
from discussions.live.admission import CLOSE_FORBIDDEN
from discussions.live.hub import get_hub
from discussions.models import Discussion, Visibility
from moderation.models import ModerationAction
from spoonful.asgi import application

db = sync_to_async


def make_discussion(author, community: Community) -> Discussion:
    discussion = Discussion.objects.create(
        author=author,
        title="Pacing on bad days",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=Visibility.PUBLIC,
        last_activity_at=timezone.now(),
    )
    discussion.tags.add(community.tag)
    return discussion


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def policy_url(community: Community) -> str:
    return reverse("communities:policy", args=[community.slug])


# --- The page and the service ------------------------------------------------------------


@pytest.mark.django_db
def test_staff_make_a_community_private_and_the_change_is_audited(staff, community_factory):
    community = community_factory("mecfs")

    response = signed_in(staff).post(policy_url(community), {"policy": "private", "professionals_only": "on"})

    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.policy, community.professionals_only) == (Community.Policy.PRIVATE, True)
    entry = ModerationAction.objects.get()
    assert (entry.kind, entry.actor, entry.community) == (ModerationAction.Kind.POLICY, staff, community)
    assert entry.before == {"policy": "open", "professionals_only": False}
    assert entry.after == {"policy": "private", "professionals_only": True}


@pytest.mark.django_db
def test_the_community_page_links_staff_to_the_policy_page(staff, member, community_factory):
    community = community_factory("mecfs")
    link = policy_url(community).encode()

    assert link in signed_in(staff).get(community.get_absolute_url()).content
    assert link not in signed_in(member).get(community.get_absolute_url()).content


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "member", "moderator"])
def test_the_policy_page_is_missing_for_everyone_but_staff(who, member, moderator, community_factory, add_member):
    community = community_factory("mecfs")
    add_member(moderator, community, role="moderator")
    client = {"visitor": Client(), "member": signed_in(member), "moderator": signed_in(moderator)}[who]

    assert client.get(policy_url(community)).status_code == 404
    assert client.post(policy_url(community), {"policy": "private"}).status_code == 404
    community.refresh_from_db()
    assert community.policy == Community.Policy.OPEN
    assert not ModerationAction.objects.exists()


@pytest.mark.django_db
def test_staff_without_two_factor_are_sent_to_set_it_up(user_factory, community_factory):
    community = community_factory("mecfs")
    staff_member = user_factory("jo", is_staff=True)

    response = signed_in(staff_member).post(policy_url(community), {"policy": "private"})

    assert response.status_code == 302
    assert response.url == reverse("mfa_index")
    community.refresh_from_db()
    assert community.policy == Community.Policy.OPEN


@pytest.mark.django_db
def test_the_service_refuses_anyone_but_staff(member, community_factory):
    community = community_factory("mecfs")

    with pytest.raises(PermissionDenied):
        services.community_set_policy(acting_user=member, community=community, policy="private")


@pytest.mark.django_db
def test_saving_the_same_policy_writes_no_audit_row(staff, community_factory):
    community = community_factory("mecfs", policy=Community.Policy.APPROVAL)

    services.community_set_policy(acting_user=staff, community=community, policy="approval")

    assert not ModerationAction.objects.exists()


# --- Open sockets -------------------------------------------------------------------------


async def reading(discussion: Discussion, user=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if user is not None:
        client = await db(signed_in)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    comm = WebsocketCommunicator(application, f"/ws/d/{discussion.pk}/", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    assert json.loads(await comm.receive_from(timeout=3))["type"] == "hello"
    return comm


async def next_frame_or_close(comm: WebsocketCommunicator) -> dict:
    """The next frame that is not a reader count, or the close."""
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return {"type": "close", "code": output.get("code")}
        frame = json.loads(output["text"])
        if frame["type"] != "presence":
            return frame


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transport", "fresh_hub")
async def test_a_community_made_private_closes_the_sockets_of_everyone_who_may_no_longer_read(
    staff, member, other_member, outsider, community_factory, add_member
):
    community = await db(community_factory)("mecfs")
    await db(add_member)(member, community)
    await db(add_member)(other_member, community)
    discussion = await db(make_discussion)(member, community)
    visitor = await reading(discussion)
    not_in_it = await reading(discussion, outsider)
    in_it = await reading(discussion, other_member)
    staff_client = await db(signed_in)(staff)

    response = await db(staff_client.post)(policy_url(community), {"policy": "private"})

    assert response.status_code == 302
    assert await next_frame_or_close(visitor) == {"type": "close", "code": CLOSE_FORBIDDEN}
    assert await next_frame_or_close(not_in_it) == {"type": "close", "code": CLOSE_FORBIDDEN}
    assert (await next_frame_or_close(in_it))["type"] == "discussion"  # still registered, still reading
    await in_it.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transport", "fresh_hub")
async def test_the_sweep_closes_a_visitor_whose_access_event_was_lost(member, community_factory, add_member):
    community = await db(community_factory)("mecfs")
    await db(add_member)(member, community)
    discussion = await db(make_discussion)(member, community)
    visitor = await reading(discussion)
    in_it = await reading(discussion, member)

    # As if the publish after commit never arrived: no event at all.
    await db(Community.objects.filter(pk=community.pk).update)(policy=Community.Policy.PRIVATE)
    await (await get_hub()).sweep_sessions()

    assert await next_frame_or_close(visitor) == {"type": "close", "code": CLOSE_FORBIDDEN}
    assert (await get_hub()).by_user.get(member.pk)  # the member is still registered
    await in_it.disconnect()
