"""Staff, moderators and verified professionals must use two-factor sign-in to act as such."""

import pytest
from django.contrib.messages import get_messages

from accounts.models import ProfessionalVerification
from accounts.selectors import can_act_as_professional, has_two_factor
from tests.helpers.users import enable_two_factor

pytestmark = pytest.mark.django_db


def test_staff_without_two_factor_are_sent_to_set_it_up(client, staff_without_2fa, clinician, make_application):
    application = make_application(clinician)
    client.force_login(staff_without_2fa)
    for url in ("/mod/verifications/", f"/mod/verifications/{application.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/"
    response = client.post(f"/mod/verifications/{application.pk}/approve/", {"expires_on": "2099-01-01"})
    assert response["Location"] == "/accounts/2fa/"
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.PENDING
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("two-factor" in message for message in messages)


def test_staff_with_a_totp_authenticator_can_act(client, staff_without_2fa, clinician, make_application):
    application = make_application(clinician)
    enable_two_factor(staff_without_2fa)
    client.force_login(staff_without_2fa)
    assert client.get("/mod/verifications/").status_code == 200
    response = client.post(f"/mod/verifications/{application.pk}/approve/", {"expires_on": "2099-01-01"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.APPROVED


def test_recovery_codes_alone_are_not_a_second_factor(member):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=member, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert not has_two_factor(member)


def test_a_verified_professional_acts_as_one_only_with_two_factor(verified_clinician, member):
    assert not can_act_as_professional(verified_clinician)
    enable_two_factor(verified_clinician)
    assert can_act_as_professional(verified_clinician)
    enable_two_factor(member)
    assert not can_act_as_professional(member)


def test_the_decorator_leaves_ordinary_members_alone(rf, member):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from accounts.decorators import privileged_action_requires_2fa

    @privileged_action_requires_2fa
    def view(request):
        return HttpResponse("ok")

    for user in (member, AnonymousUser()):
        request = rf.get("/")
        request.user = user
        assert view(request).status_code == 200


def test_the_decorator_redirects_an_unprotected_moderator(rf, member):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.http import HttpResponse
    from taggit.models import Tag

    from accounts.decorators import privileged_action_requires_2fa
    from community.models import Community, Membership

    community = Community.objects.create(slug="mecfs", name="ME/CFS", tag=Tag.objects.create(name="mecfs"))
    Membership.objects.create(user=member, community=community, role=Membership.Role.MODERATOR)

    @privileged_action_requires_2fa
    def view(request):
        return HttpResponse("ok")

    request = rf.post("/")
    request.user = member
    request.session = {}
    request._messages = FallbackStorage(request)
    assert view(request)["Location"] == "/accounts/2fa/"
