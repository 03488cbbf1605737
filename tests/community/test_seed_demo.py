"""`make run` loads the demo with `seed_demo`; running it again must change nothing."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.test import Client

from accounts.models import ProfessionalVerification, User
from accounts.selectors import can_act_as_professional
from community.listings import discussion_list_waiting_for_professional
from community.management.commands.demo_code import current_demo_code
from community.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TWO_FACTOR_MEMBERS
from community.models import Community, CommunityAlias, Membership
from discussions.models import Discussion, Reply, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _the_code_may_turn_over(settings):
    # The code changes every 30 s: on a busy machine the turn can fall between reading it and
    # the server checking it, which failed "sam_mod cannot sign in" once under two test workers.
    settings.MFA_TOTP_TOLERANCE = 1


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Community, CommunityAlias, Membership, Discussion, Reply, ProfessionalVerification)
    }


def test_seeding_twice_converges():
    call_command("seed_demo")
    first = row_counts()

    call_command("seed_demo")

    assert row_counts() == first


def test_the_demo_shows_every_capability_the_issues_ask_for():
    call_command("seed_demo")

    slugs = set(Community.objects.values_list("slug", flat=True))
    assert {"mecfs", "spoonie", "longcovid", "eds", "pots"} <= slugs
    assert Community.objects.filter(policy=Community.Policy.PRIVATE).exists()
    assert set(CommunityAlias.objects.filter(community__slug="mecfs").values_list("name", flat=True)) >= {"cfs", "me"}
    assert Reply.objects.filter(status=Reply.Status.REMOVED, removal_guideline__isnull=False).exists()
    assert Reply.objects.filter(parent__isnull=False).exists()
    assert Reply.objects.filter(is_anonymous=True).exists()
    assert Discussion.objects.filter(visibility=Visibility.MEMBERS).exists()
    assert Discussion.objects.filter(visibility=Visibility.COMMUNITY).exclude(content_warning="").exists()
    assert ProfessionalVerification.objects.filter(status="approved", applicant__username="dr_okafor").exists()
    assert ProfessionalVerification.objects.filter(status="pending", applicant__username="nurse_lin").exists()
    assert Membership.objects.get(user__username="sam_mod", community__slug="mecfs").is_moderator
    assert Reply.objects.filter(author__username="dr_okafor", as_professional=True).exists()
    assert can_act_as_professional(User.objects.get(username="dr_okafor"))
    waiting = discussion_list_waiting_for_professional(User.objects.get(username="dr_okafor"))
    assert list(waiting.values_list("title", flat=True)) == ["A bad crash after a hospital appointment"]


def test_the_demo_moderator_signs_in_with_the_printed_two_factor_code():
    call_command("seed_demo")
    client = Client()

    client.post("/accounts/login/", {"login": "sam_mod", "password": DEMO_PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": current_demo_code()})

    assert client.get("/mod/").status_code == 200


# --- Seeding again whatever happened to the demo since ------------------------------------------


def _staff() -> User:
    return User.objects.get(username="staff_jo")


def _demo(username: str) -> User:
    return User.objects.get(username=username)


def _mecfs() -> Community:
    return Community.objects.get(slug="mecfs")


def ban_maya_from_mecfs():
    from moderation.member_actions import member_ban

    member_ban(acting_user=_demo("sam_mod"), user=_demo("maya"), community=_mecfs(), reason="demo ban")


def ban_maya_briefly_and_let_it_expire():
    from django.utils import timezone

    from moderation.models import Sanction

    ban_maya_from_mecfs()
    Sanction.objects.filter(user__username="maya").update(until=timezone.now() - timezone.timedelta(days=1))


def mute_theo_in_mecfs():
    from moderation.member_actions import member_mute

    member_mute(acting_user=_demo("sam_mod"), user=_demo("theo"), community=_mecfs(), days=7, reason="demo mute")


def suspend_dr_okafor():
    from moderation.member_actions import member_suspend

    member_suspend(acting_user=_staff(), user=_demo("dr_okafor"), reason="demo suspension")


def maya_leaves_mecfs():
    from community.services import membership_leave

    membership_leave(user=_demo("maya"), community=_mecfs())


def staff_remove_the_moderator_from_mecfs():
    from community.services import membership_remove

    membership_remove(
        acting_user=_staff(), membership=Membership.objects.get(user__username="sam_mod", community=_mecfs())
    )


def theo_leaves_the_private_circle():
    from community.services import membership_leave

    membership_leave(user=_demo("theo"), community=Community.objects.get(slug="carerscircle"))


def maya_deletes_her_account():
    from accounts.account_deletion import account_delete

    account_delete(user=_demo("maya"), posts="delete")


def theo_is_deactivated_and_changes_his_password():
    theo = _demo("theo")
    theo.set_password("something else entirely")
    theo.is_active = False
    theo.save()


def nurse_lin_turns_on_two_factor():
    # As her verification page asks her to: afterwards only her own authenticator signs her in.
    TOTP.activate(_demo("nurse_lin"), generate_totp_secret())


def dr_okafor_sets_up_her_authenticator_again():
    doctor = _demo("dr_okafor")
    Authenticator.objects.filter(user=doctor).delete()
    TOTP.activate(doctor, generate_totp_secret())


DAMAGE = [
    ban_maya_from_mecfs,
    ban_maya_briefly_and_let_it_expire,
    mute_theo_in_mecfs,
    suspend_dr_okafor,
    maya_leaves_mecfs,
    staff_remove_the_moderator_from_mecfs,
    theo_leaves_the_private_circle,
    maya_deletes_her_account,
    theo_is_deactivated_and_changes_his_password,
    nurse_lin_turns_on_two_factor,
    dr_okafor_sets_up_her_authenticator_again,
]


@pytest.mark.parametrize("damage", DAMAGE, ids=[damage.__name__ for damage in DAMAGE])
def test_seeding_again_repairs_the_demo_whatever_happened_to_it(damage, django_capture_on_commit_callbacks):
    from moderation.models import Sanction

    call_command("seed_demo")
    with django_capture_on_commit_callbacks(execute=True):
        damage()

    call_command("seed_demo")

    for username in ("maya", "theo", "dr_okafor", "nurse_lin", "sam_mod"):
        client = Client()
        client.post("/accounts/login/", {"login": username, "password": DEMO_PASSWORD})
        if username in DEMO_TWO_FACTOR_MEMBERS:
            client.post("/accounts/2fa/authenticate/", {"code": current_demo_code()})
        assert "_auth_user_id" in client.session, f"{username} cannot sign in"
    assert (
        not Sanction.objects.filter(user__username__in=["maya", "theo", "dr_okafor", "sam_mod"], lifted_at=None)
        .exclude(kind=Sanction.Kind.WARNING)
        .exists()
    )
    assert Membership.objects.get(user__username="sam_mod", community__slug="mecfs").is_moderator
    for username in ("maya", "theo"):
        assert Membership.objects.get(user__username=username, community__slug="mecfs").status == "active"
    assert Membership.objects.get(user__username="theo", community__slug="carerscircle").status == "active"
    assert Reply.objects.filter(author__username="maya", discussion__title__startswith="How do you pace").exists()
    settled = row_counts()
    call_command("seed_demo")
    assert row_counts() == settled


def test_running_it_again_keeps_the_demo_members_signed_in(db):
    call_command("seed_demo")
    before = dict(User.objects.filter(username__in=["maya", "theo"]).values_list("username", "password"))

    call_command("seed_demo")

    after = dict(User.objects.filter(username__in=["maya", "theo"]).values_list("username", "password"))
    assert after == before
