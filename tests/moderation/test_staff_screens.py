"""Staff screens that replace the admin: communities' policy and moderators at
/mod/staff/communities/, crisis resources at /mod/crisis-resources/, and the count of
verifications waiting in the header. Every change is audited with the acting role;
everyone but staff gets a 404; refused input is a 400 that keeps what was typed."""

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.context_processors import staff_tasks
from accounts.models import ProfessionalVerification
from community import services as community_services
from community.models import Community, Membership
from discussions import events
from discussions.live.admission import CLOSE_FORBIDDEN
from moderation import crisis_resources
from moderation.models import CrisisResource, ModerationAction
from moderation.support import crisis_resources_for
from notifications.models import Notification
from tests.privacy.test_community_policy import make_discussion, next_frame_or_close, reading

STAFF_COMMUNITIES = "/mod/staff/communities/"
CRISIS = "/mod/crisis-resources/"
NEW_RESOURCE = "/mod/crisis-resources/new/"


def policy_url(community: Community) -> str:
    return reverse("moderation:staff_community_policy", args=[community.slug])


def appoint_url(community: Community) -> str:
    return reverse("moderation:staff_moderator_appoint", args=[community.slug])


def remove_url(membership: Membership) -> str:
    return reverse("moderation:staff_moderator_remove", args=[membership.community.slug, membership.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def samaritans() -> CrisisResource:
    return CrisisResource.objects.create(region="GB", name="Samaritans", phone="116 123", order=0)


@pytest.fixture
def shout() -> CrisisResource:
    return CrisisResource.objects.create(region="GB", name="Shout", phone="85258", order=1)


def _resource_data(**changes) -> dict:
    data = {"region": "us", "name": "988 Lifeline", "description": "Call or text", "phone": "988", "url": ""}
    return {**data, **changes}


# --- Communities: policy -------------------------------------------------------------------


def test_staff_see_every_community_with_its_policy_and_moderators(staff, moderator, community_factory):
    community_factory("secret", name="Secret circle", policy=Community.Policy.PRIVATE)

    response = signed_in(staff).get(STAFF_COMMUNITIES)

    assert response.status_code == 200
    page = response.content.decode()
    assert "#mecfs" in page and "#secret" in page and "Secret circle" in page
    assert "Private: by invitation, hidden from everyone else." in page
    assert "Sam" in page  # the #mecfs moderator
    assert 'aria-current="page">Policy &amp; moderators' in page


def test_the_list_reads_moderators_in_one_query_whatever_the_number_of_communities(
    staff, community_factory, user_factory, django_assert_max_num_queries
):
    for number in range(6):
        community = community_factory(f"c{number}")
        community_services.moderator_appoint(acting_user=staff, community=community, user=user_factory(f"m{number}"))
    client = signed_in(staff)

    with django_assert_max_num_queries(12):
        assert client.get(STAFF_COMMUNITIES).status_code == 200


def test_a_policy_change_is_audited_and_announces_every_discussion(
    staff, mecfs, members, monkeypatch, django_capture_on_commit_callbacks
):
    discussion = make_discussion(members[0], mecfs)
    announced = []
    monkeypatch.setattr(events, "discussion_changed", lambda *, discussion_id: announced.append(discussion_id))

    response = signed_in(staff).post(policy_url(mecfs), {"policy": "private", "professionals_only": "on"})

    assert response.status_code == 302
    assert response.url == f"{STAFF_COMMUNITIES}#c-mecfs"
    mecfs.refresh_from_db()
    assert (mecfs.policy, mecfs.professionals_only) == (Community.Policy.PRIVATE, True)
    entry = ModerationAction.objects.get(kind=ModerationAction.Kind.POLICY)
    assert (entry.actor, entry.community, entry.after["policy"]) == (staff, mecfs, "private")
    assert announced == [discussion.pk]


def test_a_policy_that_does_not_exist_is_a_400_that_keeps_the_other_forms(staff, mecfs, pots):
    response = signed_in(staff).post(policy_url(mecfs), {"policy": "secret"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "#pots" in page  # the rest of the page is still there
    mecfs.refresh_from_db()
    assert mecfs.policy == Community.Policy.OPEN
    assert not ModerationAction.objects.exists()


def test_the_page_number_survives_an_action(staff, mecfs):
    response = signed_in(staff).post(f"{policy_url(mecfs)}?page=2", {"policy": "approval"})

    assert response.url == f"{STAFF_COMMUNITIES}?page=2#c-mecfs"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transport", "fresh_hub")
async def test_a_reader_who_loses_access_has_their_socket_closed(
    staff, member, outsider, community_factory, add_member
):
    community = await sync_to_async(community_factory)("mecfs")
    await sync_to_async(add_member)(member, community)
    discussion = await sync_to_async(make_discussion)(member, community)
    not_in_it = await reading(discussion, outsider)
    in_it = await reading(discussion, member)
    staff_client = await sync_to_async(signed_in)(staff)

    response = await sync_to_async(staff_client.post)(policy_url(community), {"policy": "private"})

    assert response.status_code == 302
    assert await next_frame_or_close(not_in_it) == {"type": "close", "code": CLOSE_FORBIDDEN}
    assert (await next_frame_or_close(in_it))["type"] == "discussion"
    await in_it.disconnect()


# --- Communities: moderators ----------------------------------------------------------------


def test_staff_appoint_a_member_by_username_and_they_are_told(staff, mecfs, members):
    member, _ = members

    response = signed_in(staff).post(appoint_url(mecfs), {"username": "ALICE"})

    assert response.status_code == 302
    assert Membership.objects.get(user=member, community=mecfs).is_moderator
    entry = ModerationAction.objects.get(kind=ModerationAction.Kind.MODERATOR_APPOINT)
    assert (entry.actor, entry.community, entry.target_user) == (staff, mecfs, member)
    assert entry.before == {"status": "active", "membership_role": "member"}
    assert entry.after == {"status": "active", "membership_role": "moderator", "role": "staff"}
    notice = Notification.objects.get(recipient=member)
    assert notice.kind == Notification.Kind.ROLE_CHANGE
    assert notice.url == reverse("moderation:queue")
    assert "mecfs" not in notice.message.lower()  # a condition hashtag stays out of what may be emailed


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("nobody", "There is no active member with that username."),
        ("bob", "Bob is not a member of #mecfs; they need to join first."),
        ("sam", "Sam is already a moderator of #mecfs."),
        ("", "This field is required."),
    ],
)
def test_an_appointment_that_cannot_be_made_is_a_400_that_keeps_the_username(
    staff, mecfs, moderator, outsider, username, reason
):
    response = signed_in(staff).post(appoint_url(mecfs), {"username": username})

    assert response.status_code == 400
    page = response.content.decode()
    assert reason in page
    assert f'value="{username}"' in page or not username
    assert not ModerationAction.objects.exists()
    assert not Notification.objects.exists()


def test_a_banned_or_invited_member_is_not_appointed(staff, mecfs, member, other_member, add_member):
    add_member(member, mecfs, status=Membership.Status.BANNED)
    add_member(other_member, mecfs, status=Membership.Status.INVITED)
    client = signed_in(staff)

    assert "banned" in client.post(appoint_url(mecfs), {"username": "alice"}).content.decode()
    assert client.post(appoint_url(mecfs), {"username": "carol"}).status_code == 400
    assert (
        not Membership.objects.filter(community=mecfs, role=Membership.Role.MODERATOR)
        .exclude(user__username="sam")
        .exists()
    )


def test_staff_remove_a_moderator_who_stays_a_member_and_is_told(staff, mecfs, moderator, monkeypatch):
    membership = Membership.objects.get(user=moderator, community=mecfs)
    rechecked = []
    monkeypatch.setattr(events, "access_changed", lambda *, user_id: rechecked.append(user_id))

    response = signed_in(staff).post(remove_url(membership))

    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.status) == (Membership.Role.MEMBER, Membership.Status.ACTIVE)
    entry = ModerationAction.objects.get(kind=ModerationAction.Kind.MODERATOR_DISMISS)
    assert (entry.actor, entry.community, entry.target_user, entry.after["role"]) == (staff, mecfs, moderator, "staff")
    assert Notification.objects.get(recipient=moderator).kind == Notification.Kind.ROLE_CHANGE
    assert rechecked == [moderator.pk]


def test_removing_someone_who_is_not_a_moderator_changes_nothing(staff, mecfs, members):
    membership = Membership.objects.get(user=members[0], community=mecfs)

    response = signed_in(staff).post(remove_url(membership), follow=True)

    assert "This member is not a moderator." in response.content.decode()
    assert not ModerationAction.objects.exists()


def test_a_moderator_of_another_community_cannot_be_removed_through_this_one(staff, mecfs, pots, pots_moderator):
    membership = Membership.objects.get(user=pots_moderator, community=pots)

    response = signed_in(staff).post(reverse("moderation:staff_moderator_remove", args=["mecfs", membership.pk]))

    assert response.status_code == 404
    assert Membership.objects.get(pk=membership.pk).is_moderator


def test_the_services_refuse_anyone_but_staff(moderator, mecfs, member):
    with pytest.raises(PermissionDenied):
        community_services.moderator_appoint(acting_user=moderator, community=mecfs, user=member)
    with pytest.raises(PermissionDenied):
        crisis_resources.crisis_resource_create(acting_user=moderator, region="GB", name="X", phone="116 123")


# --- Crisis resources -------------------------------------------------------------------------


def test_staff_see_resources_by_region_everywhere_first(staff, samaritans):
    CrisisResource.objects.create(region="", name="Find a helpline", url="https://findahelpline.com/")

    response = signed_in(staff).get(CRISIS)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("Everywhere") < page.index("Country: GB") < page.index("Samaritans")
    assert 'aria-current="page">Crisis resources' in page


def test_staff_add_a_resource_which_goes_last_in_its_region_and_is_audited(staff, samaritans, shout):
    response = signed_in(staff).post(NEW_RESOURCE, _resource_data(region="gb", name="Mind", phone="0300 123 3393"))

    assert response.status_code == 302
    added = CrisisResource.objects.get(name="Mind")
    assert (added.region, added.order) == ("GB", 2)
    entry = ModerationAction.objects.get()
    assert (entry.kind, entry.actor, entry.community) == (ModerationAction.Kind.CRISIS_RESOURCE, staff, None)
    assert entry.after["change"] == "added" and entry.after["role"] == "staff" and entry.after["name"] == "Mind"
    assert [row["name"] for row in crisis_resources_for("GB")] == ["Samaritans", "Shout", "Mind"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"region": "XX"}, "Use a two-letter country code"),
        ({"region": "G1"}, "Use a two-letter country code"),
        ({"region": "GBR"}, "Use a two-letter country code"),
        ({"phone": "", "url": ""}, "Give a phone number, a web address, or both."),
        ({"phone": "", "url": "http://example.org/help"}, "Give a full https:// address"),
        ({"phone": "", "url": "javascript:alert(1)"}, "Give a full https:// address"),
        ({"phone": "call us"}, "Write the number with digits"),
        ({"name": "  "}, "This field is required."),
        ({"order": "-1"}, "greater than or equal to 0"),
    ],
)
def test_a_resource_that_breaks_a_rule_is_a_400_that_keeps_what_was_typed(staff, changes, reason):
    data = _resource_data(description="Typed with care", **changes)

    response = signed_in(staff).post(NEW_RESOURCE, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert reason in page
    assert "Typed with care" in page
    assert not CrisisResource.objects.exists()
    assert not ModerationAction.objects.exists()


def test_staff_edit_a_resource_and_the_log_keeps_what_it_said(staff, samaritans):
    url = reverse("moderation:crisis_resource_edit", args=[samaritans.pk])
    client = signed_in(staff)

    assert 'value="116 123"' in client.get(url).content.decode()
    response = client.post(
        url, _resource_data(region="GB", name="Samaritans", phone="116 123", url="https://www.samaritans.org/")
    )

    assert response.status_code == 302
    samaritans.refresh_from_db()
    assert samaritans.url == "https://www.samaritans.org/" and samaritans.order == 0
    entry = ModerationAction.objects.get()
    assert entry.before["url"] == "" and entry.after["url"] == "https://www.samaritans.org/"
    assert entry.after["change"] == "changed"


def test_saving_a_resource_unchanged_writes_no_audit_row(staff, samaritans):
    crisis_resources.crisis_resource_update(
        acting_user=staff, resource=samaritans, region="gb", name="Samaritans", phone="116 123"
    )

    assert not ModerationAction.objects.exists()


def test_staff_delete_a_resource_and_the_log_keeps_it(staff, samaritans):
    response = signed_in(staff).post(reverse("moderation:crisis_resource_delete", args=[samaritans.pk]))

    assert response.status_code == 302
    assert not CrisisResource.objects.exists()
    entry = ModerationAction.objects.get()
    assert entry.before["name"] == "Samaritans" and entry.after["change"] == "deleted"


def test_staff_reorder_resources_and_posters_see_the_new_order(staff, samaritans, shout):
    client = signed_in(staff)
    move = reverse("moderation:crisis_resource_move", args=[shout.pk])

    assert client.post(move, {"direction": "up"}).status_code == 302
    assert [row["name"] for row in crisis_resources_for("GB")] == ["Shout", "Samaritans"]
    client.post(move, {"direction": "up"})  # already first: nothing to log

    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.CRISIS_RESOURCE).count() == 1
    assert client.post(move, {"direction": "sideways"}).status_code == 400


def test_equal_positions_still_move(staff):
    first = CrisisResource.objects.create(region="US", name="A line", phone="988", order=5)
    second = CrisisResource.objects.create(region="US", name="B line", phone="911", order=5)

    crisis_resources.crisis_resource_move(acting_user=staff, resource=second, up=True)

    assert list(CrisisResource.objects.filter(region="US").order_by("order").values_list("name", flat=True)) == [
        "B line",
        "A line",
    ]
    first.refresh_from_db()
    assert first.order == 1


def test_the_service_refuses_a_plain_http_address_whoever_calls_it(staff):
    with pytest.raises(ValidationError) as refused:
        crisis_resources.crisis_resource_create(acting_user=staff, region="", name="X", url="http://example.org/")

    assert "url" in refused.value.message_dict


def test_a_missing_resource_is_a_404(staff):
    client = signed_in(staff)

    assert client.get(reverse("moderation:crisis_resource_edit", args=[999])).status_code == 404
    assert client.post(reverse("moderation:crisis_resource_delete", args=[999])).status_code == 404


# --- Who may use the screens ------------------------------------------------------------------


@pytest.fixture
def every_url(mecfs, moderator, samaritans):
    membership = Membership.objects.get(user=moderator, community=mecfs)
    pk = samaritans.pk
    return [
        ("get", STAFF_COMMUNITIES, {}),
        ("post", policy_url(mecfs), {"policy": "private"}),
        ("post", appoint_url(mecfs), {"username": "alice"}),
        ("post", remove_url(membership), {}),
        ("get", CRISIS, {}),
        ("get", NEW_RESOURCE, {}),
        ("post", NEW_RESOURCE, _resource_data()),
        ("get", reverse("moderation:crisis_resource_edit", args=[pk]), {}),
        ("post", reverse("moderation:crisis_resource_edit", args=[pk]), _resource_data()),
        ("post", reverse("moderation:crisis_resource_move", args=[pk]), {"direction": "down"}),
        ("post", reverse("moderation:crisis_resource_delete", args=[pk]), {}),
    ]


@pytest.mark.parametrize("who", ["visitor", "member", "community moderator"])
def test_every_staff_url_is_missing_for_everyone_but_staff(who, every_url, members, moderator, mecfs, samaritans):
    client = {"visitor": Client(), "member": signed_in(members[0]), "community moderator": signed_in(moderator)}[who]

    for method, url, data in every_url:
        assert getattr(client, method)(url, data).status_code == 404, (who, method, url)

    mecfs.refresh_from_db()
    assert mecfs.policy == Community.Policy.OPEN
    assert Membership.objects.get(user=moderator, community=mecfs).is_moderator
    assert list(CrisisResource.objects.values_list("name", flat=True)) == ["Samaritans"]
    assert not ModerationAction.objects.exists()


def test_staff_reach_every_url(staff, every_url, members):
    client = signed_in(staff)

    for method, url, data in every_url:
        assert getattr(client, method)(url, data).status_code in (200, 302), (method, url)


def test_staff_without_two_factor_are_sent_to_set_it_up(user_factory, mecfs):
    unprotected = user_factory("pat", is_staff=True)

    for url in (STAFF_COMMUNITIES, CRISIS):
        response = signed_in(unprotected).get(url)
        assert (response.status_code, response.url) == (302, reverse("mfa_index"))


def test_a_hashtag_that_cannot_be_one_is_a_404(staff):
    assert signed_in(staff).post("/mod/staff/communities/me%00cfs/policy/", {"policy": "open"}).status_code == 404


def test_the_moderation_nav_links_staff_to_both_screens_and_moderators_to_neither(staff, moderator):
    staff_page = signed_in(staff).get("/mod/").content.decode()
    moderator_page = signed_in(moderator).get("/mod/").content.decode()

    for url in (STAFF_COMMUNITIES, CRISIS):
        assert f'href="{url}"' in staff_page
        assert f'href="{url}"' not in moderator_page


# --- The header ----------------------------------------------------------------------------------


def _apply(user_factory, username: str, status: str = ProfessionalVerification.Status.PENDING) -> None:
    ProfessionalVerification.objects.create(
        applicant=user_factory(username),
        profession=ProfessionalVerification.Profession.NURSE,
        licence_number="123",
        issuing_body="NMC",
        country="UK",
        status=status,
    )


def test_staff_see_how_many_verifications_wait_in_the_header(staff, user_factory):
    _apply(user_factory, "nurse1")
    _apply(user_factory, "nurse2")
    _apply(user_factory, "nurse3", ProfessionalVerification.Status.NEEDS_INFO)  # waits on the applicant

    page = signed_in(staff).get("/").content.decode()

    assert 'aria-label="Verifications, 2 waiting">Verifications <span class="nav-count">2</span></a>' in page


@pytest.mark.parametrize("who", ["visitor", "member", "community moderator"])
def test_no_one_else_sees_the_verifications_link(who, client, members, moderator, user_factory):
    _apply(user_factory, "nurse1")
    viewer = {"visitor": client, "member": signed_in(members[0]), "community moderator": signed_in(moderator)}[who]

    assert "nav-verifications" not in viewer.get("/").content.decode()


def test_the_count_costs_staff_one_query_and_everyone_else_none(rf, staff, member, django_assert_num_queries):
    for user, queries in ((member, 0), (staff, 1)):
        request = rf.get("/")
        request.user = user
        with django_assert_num_queries(queries):
            str(staff_tasks(request)["verifications_waiting"])


def test_the_audit_log_shows_staff_changes_with_the_acting_role(staff, mecfs, members, samaritans):
    client = signed_in(staff)
    client.post(appoint_url(mecfs), {"username": "alice"})
    client.post(reverse("moderation:crisis_resource_delete", args=[samaritans.pk]))

    page = client.get("/mod/log/").content.decode()

    assert "Appointed a moderator in #mecfs" in page and "member alice" in page
    assert "Changed a crisis resource" in page and "(Samaritans, GB)" in page
    assert page.count('<span class="muted">(staff)</span>') == 2


def test_the_email_about_a_role_change_names_no_community(
    staff, mecfs, members, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(staff).post(appoint_url(mecfs), {"username": "alice"})

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject.endswith("A change to your role as a moderator")
    everything = email.subject + email.body + email.alternatives[0][0]
    assert "mecfs" not in everything.lower() and "ME/CFS" not in everything
