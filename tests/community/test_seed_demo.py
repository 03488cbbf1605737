"""`make run` loads the demo with `seed_demo`; running it again must change nothing."""

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import ProfessionalVerification, User
from accounts.selectors import can_act_as_professional
from community.management.commands.demo_code import current_demo_code
from community.management.commands.seed_demo import DEMO_PASSWORD
from community.models import Community, CommunityAlias, Membership
from discussions.models import Discussion, Reply, Visibility

pytestmark = pytest.mark.django_db


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


def test_the_demo_moderator_signs_in_with_the_printed_two_factor_code():
    call_command("seed_demo")
    client = Client()

    client.post("/accounts/login/", {"login": "sam_mod", "password": DEMO_PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": current_demo_code()})

    assert client.get("/mod/").status_code == 200
