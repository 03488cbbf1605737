import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community import services
from community.models import Community, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_changes(monkeypatch) -> list[int]:
    """User ids the services told the live layer to re-check."""
    calls: list[int] = []
    monkeypatch.setattr(services.events, "access_changed", lambda *, user_id: calls.append(user_id))
    return calls


@pytest.fixture
def mecfs(community_factory, moderator, add_member) -> Community:
    community = community_factory("mecfs", name="ME/CFS")
    add_member(moderator, community, role=Membership.Role.MODERATOR)
    return community


def _status(user, community) -> str | None:
    membership = Membership.objects.filter(user=user, community=community).first()
    return membership.status if membership else None


# --- Joining -------------------------------------------------------------------


def test_joining_an_open_community_makes_an_active_member_at_once(mecfs, member):
    membership = services.membership_join(user=member, community=mecfs)

    assert membership.status == Membership.Status.ACTIVE
    assert membership.role == Membership.Role.MEMBER


def test_joining_twice_keeps_one_membership(mecfs, member):
    services.membership_join(user=member, community=mecfs)
    services.membership_join(user=member, community=mecfs)

    assert Membership.objects.filter(user=member, community=mecfs).count() == 1


def test_joining_an_approval_community_asks_the_moderators(community_factory, member):
    community = community_factory("eds", policy=Community.Policy.APPROVAL)

    membership = services.membership_join(user=member, community=community)

    assert membership.status == Membership.Status.REQUESTED


def test_a_private_community_refuses_members_who_were_not_invited(community_factory, member):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)

    with pytest.raises(ValidationError, match="invitation"):
        services.membership_join(user=member, community=community)
    assert _status(member, community) is None


def test_an_invited_member_who_accepts_becomes_active(community_factory, member, moderator, add_member):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)
    add_member(moderator, community, role=Membership.Role.MODERATOR)
    services.membership_invite(acting_user=moderator, community=community, user=member)
    assert _status(member, community) == Membership.Status.INVITED

    services.membership_join(user=member, community=community)

    assert _status(member, community) == Membership.Status.ACTIVE


def test_a_banned_member_cannot_join_again(mecfs, member, add_member):
    add_member(member, mecfs, status=Membership.Status.BANNED)

    with pytest.raises(ValidationError):
        services.membership_join(user=member, community=mecfs)
    assert _status(member, mecfs) == Membership.Status.BANNED


def test_a_deactivated_account_cannot_join(mecfs, member):
    member.is_active = False
    member.save()

    with pytest.raises(PermissionDenied):
        services.membership_join(user=member, community=mecfs)


def test_professionals_only_community_refuses_unverified_members(community_factory, member, monkeypatch):
    community = community_factory("clinicians", professionals_only=True)
    monkeypatch.setattr(services, "is_verified_professional", lambda user: False)

    with pytest.raises(ValidationError, match="verified"):
        services.membership_join(user=member, community=community)
    assert _status(member, community) is None


def test_professionals_only_community_admits_verified_professionals(community_factory, member, monkeypatch):
    community = community_factory("clinicians", professionals_only=True)
    monkeypatch.setattr(services, "is_verified_professional", lambda user: user.pk == member.pk)

    assert services.membership_join(user=member, community=community).is_active


def test_the_professional_check_uses_a_real_current_verification(community_factory, member, other_member):
    from django.utils import timezone

    from accounts.models import ProfessionalVerification

    community = community_factory("clinicians", professionals_only=True)
    ProfessionalVerification.objects.create(
        applicant=member,
        profession="nurse",
        licence_number="N-1",
        issuing_body="NMC",
        country="UK",
        status=ProfessionalVerification.Status.APPROVED,
        expires_at=timezone.now() + timezone.timedelta(days=30),
    )

    assert services.membership_join(user=member, community=community).is_active
    with pytest.raises(ValidationError, match="verified"):
        services.membership_join(user=other_member, community=community)


# --- Leaving -------------------------------------------------------------------------


def test_leaving_ends_membership_and_tells_open_sockets(mecfs, member, add_member, access_changes):
    add_member(member, mecfs)

    services.membership_leave(user=member, community=mecfs)

    assert _status(member, mecfs) is None
    assert access_changes == [member.pk]


def test_leaving_does_not_lift_a_ban(mecfs, member, add_member):
    add_member(member, mecfs, status=Membership.Status.BANNED)

    with pytest.raises(ValidationError):
        services.membership_leave(user=member, community=mecfs)
    assert _status(member, mecfs) == Membership.Status.BANNED


def test_access_change_is_published_only_after_commit(mecfs, member, add_member, django_capture_on_commit_callbacks):
    add_member(member, mecfs)

    with django_capture_on_commit_callbacks() as callbacks:
        services.membership_leave(user=member, community=mecfs)

    assert callbacks, "the publish waits for the commit"


# --- Requests ----------------------------------------------------------------------------


@pytest.fixture
def eds(community_factory, moderator, add_member) -> Community:
    community = community_factory("eds", policy=Community.Policy.APPROVAL)
    add_member(moderator, community, role=Membership.Role.MODERATOR)
    return community


def test_a_moderator_accepts_a_join_request(eds, member, moderator):
    request = services.membership_join(user=member, community=eds)

    services.membership_request_decide(acting_user=moderator, membership=request, accept=True)

    assert _status(member, eds) == Membership.Status.ACTIVE


def test_a_declined_request_is_dropped_and_sockets_recheck(eds, member, moderator, access_changes):
    request = services.membership_join(user=member, community=eds)

    services.membership_request_decide(acting_user=moderator, membership=request, accept=False)

    assert _status(member, eds) is None
    assert access_changes == [member.pk]


def test_only_that_communitys_moderators_decide_requests(eds, mecfs, member, other_member, add_member, user_factory):
    other_moderator = user_factory("dana")
    add_member(other_moderator, mecfs, role=Membership.Role.MODERATOR)
    add_member(other_member, eds)
    request = services.membership_join(user=member, community=eds)

    for actor in (other_moderator, other_member):
        with pytest.raises(PermissionDenied):
            services.membership_request_decide(acting_user=actor, membership=request, accept=True)
    assert _status(member, eds) == Membership.Status.REQUESTED


def test_staff_decide_requests_anywhere(eds, member, staff):
    request = services.membership_join(user=member, community=eds)

    services.membership_request_decide(acting_user=staff, membership=request, accept=True)

    assert _status(member, eds) == Membership.Status.ACTIVE


def test_a_request_is_decided_once(eds, member, moderator):
    request = services.membership_join(user=member, community=eds)
    services.membership_request_decide(acting_user=moderator, membership=request, accept=True)

    with pytest.raises(ValidationError, match="already"):
        services.membership_request_decide(acting_user=moderator, membership=request, accept=False)
    assert _status(member, eds) == Membership.Status.ACTIVE


# --- Invitations, removal, moderators ---------------------------------------------------------


def test_only_moderators_invite(mecfs, member, other_member, add_member):
    add_member(other_member, mecfs)

    with pytest.raises(PermissionDenied):
        services.membership_invite(acting_user=other_member, community=mecfs, user=member)
    assert _status(member, mecfs) is None


def test_inviting_someone_who_asked_lets_them_in(eds, member, moderator):
    services.membership_join(user=member, community=eds)

    services.membership_invite(acting_user=moderator, community=eds, user=member)

    assert _status(member, eds) == Membership.Status.ACTIVE


def test_inviting_a_member_again_is_refused_with_a_reason(mecfs, member, moderator, add_member):
    add_member(member, mecfs)

    with pytest.raises(ValidationError, match="already a member"):
        services.membership_invite(acting_user=moderator, community=mecfs, user=member)


def test_a_moderator_removes_a_member_and_their_sockets_recheck(mecfs, member, moderator, add_member, access_changes):
    membership = add_member(member, mecfs)

    services.membership_remove(acting_user=moderator, membership=membership)

    assert _status(member, mecfs) is None
    assert access_changes == [member.pk]


def test_moderators_cannot_remove_each_other_but_staff_can(mecfs, moderator, user_factory, add_member, staff):
    colleague = add_member(user_factory("dana"), mecfs, role=Membership.Role.MODERATOR)

    with pytest.raises(ValidationError):
        services.membership_remove(acting_user=moderator, membership=colleague)
    services.membership_remove(acting_user=staff, membership=colleague)

    assert not Membership.objects.filter(pk=colleague.pk).exists()


def test_members_cannot_remove_members(mecfs, member, other_member, add_member):
    add_member(other_member, mecfs)
    membership = add_member(member, mecfs)

    with pytest.raises(PermissionDenied):
        services.membership_remove(acting_user=other_member, membership=membership)
    assert _status(member, mecfs) == Membership.Status.ACTIVE


def test_staff_appoint_moderators(mecfs, member, staff):
    membership = services.moderator_appoint(acting_user=staff, community=mecfs, user=member)

    assert membership.is_moderator


def test_moderators_cannot_appoint_moderators(mecfs, member, moderator):
    with pytest.raises(PermissionDenied):
        services.moderator_appoint(acting_user=moderator, community=mecfs, user=member)
    assert _status(member, mecfs) is None


def test_a_dismissed_moderator_stays_a_member_and_sockets_recheck(mecfs, moderator, staff, access_changes):
    membership = Membership.objects.get(user=moderator, community=mecfs)

    services.moderator_dismiss(acting_user=staff, membership=membership)

    membership.refresh_from_db()
    assert membership.role == Membership.Role.MEMBER and membership.is_active
    assert access_changes == [moderator.pk]


# --- Views -------------------------------------------------------------------------------------


def test_join_button_joins_an_open_community(client, mecfs, member):
    client.force_login(member)

    response = client.post("/c/mecfs/join/")

    assert response.status_code == 302
    assert response["Location"] == "/c/mecfs/"
    assert _status(member, mecfs) == Membership.Status.ACTIVE


def test_joining_needs_a_post(client, mecfs, member):
    client.force_login(member)

    assert client.get("/c/mecfs/join/").status_code == 405
    assert _status(member, mecfs) is None


def test_signed_out_visitors_are_sent_to_sign_in(client, mecfs):
    response = client.post("/c/mecfs/join/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_refused_join_explains_why(client, community_factory, member, monkeypatch):
    community_factory("clinicians", professionals_only=True)
    monkeypatch.setattr(services, "is_verified_professional", lambda user: False)
    client.force_login(member)

    response = client.post("/c/clinicians/join/", follow=True)

    assert "Only verified health professionals" in response.content.decode()


def test_outsiders_cannot_join_a_private_community_they_cannot_see(client, community_factory, outsider):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)
    client.force_login(outsider)

    assert client.post("/c/quiet/join/").status_code == 404
    assert _status(outsider, community) is None


def test_leaving_a_private_community_returns_to_the_directory(client, community_factory, member, add_member):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)
    add_member(member, community)
    client.force_login(member)

    response = client.post("/c/quiet/leave/")

    assert response["Location"] == "/c/"
    assert _status(member, community) is None


def test_moderator_pages_are_404_for_members(client, eds, member, add_member):
    add_member(member, eds)
    client.force_login(member)

    for path in ("/c/eds/requests/", "/c/eds/aliases/", "/c/eds/members/", "/c/eds/invite/"):
        assert client.get(path).status_code == 404, path


def test_moderator_accepts_a_request_from_the_requests_page(client, eds, member, moderator):
    request = services.membership_join(user=member, community=eds)
    client.force_login(moderator)
    page = client.get("/c/eds/requests/")
    assert "Alice" in page.content.decode()

    response = client.post(f"/c/eds/requests/{request.pk}/decide/", {"decision": "accept"})

    assert response.status_code == 302
    assert _status(member, eds) == Membership.Status.ACTIVE


def test_a_member_cannot_decide_requests_by_posting(client, eds, member, other_member, add_member):
    request = services.membership_join(user=member, community=eds)
    add_member(other_member, eds)
    client.force_login(other_member)

    response = client.post(f"/c/eds/requests/{request.pk}/decide/", {"decision": "accept"})

    assert response.status_code == 404
    assert _status(member, eds) == Membership.Status.REQUESTED


def test_a_bad_decision_value_changes_nothing(client, eds, member, moderator):
    request = services.membership_join(user=member, community=eds)
    client.force_login(moderator)

    response = client.post(f"/c/eds/requests/{request.pk}/decide/", {"decision": "maybe"})

    assert response.status_code == 302
    assert _status(member, eds) == Membership.Status.REQUESTED


def test_invite_form_invites_by_username_and_keeps_a_typo(client, community_factory, moderator, member, add_member):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)
    add_member(moderator, community, role=Membership.Role.MODERATOR)
    client.force_login(moderator)

    typo = client.post("/c/quiet/invite/", {"username": "alicee"})
    assert typo.status_code == 200
    assert 'value="alicee"' in typo.content.decode()
    assert "no active member" in typo.content.decode()

    client.post("/c/quiet/invite/", {"username": "ALICE"})
    assert _status(member, community) == Membership.Status.INVITED


def test_moderator_removes_a_member_from_the_members_page(client, mecfs, moderator, member, add_member, access_changes):
    membership = add_member(member, mecfs)
    client.force_login(moderator)

    response = client.post(f"/c/mecfs/members/{membership.pk}/remove/")

    assert response.status_code == 302
    assert _status(member, mecfs) is None


def test_staff_appoint_a_moderator_from_the_members_page(client, mecfs, staff, member, add_member):
    membership = add_member(member, mecfs)
    client.force_login(staff)

    client.post(f"/c/mecfs/members/{membership.pk}/moderator/", {"action": "appoint"})

    membership.refresh_from_db()
    assert membership.is_moderator


def test_moderators_cannot_appoint_through_the_page(client, mecfs, moderator, member, add_member):
    membership = add_member(member, mecfs)
    client.force_login(moderator)

    assert client.post(f"/c/mecfs/members/{membership.pk}/moderator/", {"action": "appoint"}).status_code == 404
    membership.refresh_from_db()
    assert not membership.is_moderator


def test_deciding_from_the_requests_page_leaves_an_audit_row(client, eds, member, moderator):
    from moderation.models import ModerationAction

    request = services.membership_join(user=member, community=eds)
    client.force_login(moderator)

    client.post(f"/c/eds/requests/{request.pk}/decide/", {"decision": "decline"})

    action = ModerationAction.objects.get()
    assert action.kind == ModerationAction.Kind.JOIN_DECLINE
    assert action.actor == moderator
    assert action.target_user == member
    assert _status(member, eds) is None


def test_deciding_twice_from_the_page_says_it_was_handled(client, eds, member, moderator):
    request = services.membership_join(user=member, community=eds)
    client.force_login(moderator)
    client.post(f"/c/eds/requests/{request.pk}/decide/", {"decision": "accept"})

    response = client.post(f"/c/eds/requests/{request.pk}/decide/", {"decision": "decline"}, follow=True)

    assert "already" in response.content.decode()
    assert _status(member, eds) == Membership.Status.ACTIVE


def test_joining_too_often_is_limited_with_a_clear_message(client, user_factory, settings):
    from taggit.models import Tag

    from community.models import Community

    settings.SPOONFUL_RATE_LIMITS = {"join": [("user", 2, 3600)]}
    joiner = user_factory("restless")
    client.force_login(joiner)
    for slug in ("aaa", "bbb", "ccc"):
        Community.objects.create(slug=slug, tag=Tag.objects.create(name=slug, slug=slug), name=slug)

    assert client.post("/c/aaa/join/").status_code == 302
    assert client.post("/c/bbb/join/").status_code == 302
    response = client.post("/c/ccc/join/")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Please wait" in response.content.decode()
    assert not joiner.memberships.filter(community__slug="ccc").exists()


def test_the_one_ban_check_is_the_membership_status(eds, member, add_member):
    membership = add_member(member, eds, status=Membership.Status.BANNED)
    assert membership.is_banned and not membership.is_active

    membership.status = Membership.Status.ACTIVE
    assert not membership.is_banned
