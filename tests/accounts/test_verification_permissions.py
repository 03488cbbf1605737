"""Who may see the queue and the evidence, and who may decide."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import ProfessionalVerification, VerificationEvent
from accounts.verification import verification_approve, verification_reject
from tests.helpers.uploads import PDF_BYTES, upload
from tests.helpers.users import enable_two_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def application_with_evidence(clinician, make_application):
    return make_application(clinician, evidence=[upload("licence.pdf", PDF_BYTES, "application/pdf")])


def _staff_urls(application) -> list[str]:
    evidence = application.evidence.get()
    return [
        "/mod/verifications/",
        f"/mod/verifications/{application.pk}/",
        f"/mod/verifications/{application.pk}/evidence/{evidence.pk}/",
    ]


@pytest.mark.parametrize("who", ["anonymous", "member", "applicant", "verified_professional"])
def test_only_staff_can_open_the_queue_detail_or_evidence(client, who, request, application_with_evidence):
    if who == "member":
        client.force_login(request.getfixturevalue("member"))
    elif who == "applicant":
        client.force_login(application_with_evidence.applicant)
    elif who == "verified_professional":
        make_verified = request.getfixturevalue("make_verified")
        client.force_login(make_verified(request.getfixturevalue("other_member")))
    for url in _staff_urls(application_with_evidence):
        assert client.get(url).status_code == 404, url
    assert not VerificationEvent.objects.filter(kind=VerificationEvent.Kind.EVIDENCE_VIEWED).exists()


def test_a_non_staff_member_cannot_post_a_decision(client, member, application_with_evidence):
    client.force_login(member)
    for action, data in [
        ("approve", {"expires_on": "2099-01-01"}),
        ("reject", {"reason": "x"}),
        ("request-info", {"message": "x"}),
    ]:
        response = client.post(f"/mod/verifications/{application_with_evidence.pk}/{action}/", data)
        assert response.status_code == 404
    application_with_evidence.refresh_from_db()
    assert application_with_evidence.status == ProfessionalVerification.Status.PENDING


def test_staff_download_evidence_as_an_attachment_that_is_never_sniffed(client, staff, application_with_evidence):
    evidence = application_with_evidence.evidence.get()
    client.force_login(staff)
    response = client.get(f"/mod/verifications/{application_with_evidence.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert VerificationEvent.objects.filter(kind="evidence_viewed", actor=staff).count() == 1


def test_evidence_of_another_application_is_not_served_under_this_one(
    client, staff, application_with_evidence, other_member, make_application
):
    other = make_application(other_member, evidence=[upload("x.pdf", PDF_BYTES, "application/pdf")])
    client.force_login(staff)
    response = client.get(f"/mod/verifications/{application_with_evidence.pk}/evidence/{other.evidence.get().pk}/")
    assert response.status_code == 404


def test_evidence_lives_outside_the_media_root_with_an_unguessable_name(application_with_evidence):
    evidence = application_with_evidence.evidence.get()
    path = evidence.file.path
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert path.startswith(str(settings.PRIVATE_STORAGE_ROOT))
    assert "licence" not in evidence.file.name
    random_part = evidence.file.name.rsplit("/", 1)[-1].split(".")[0]
    assert len(random_part) >= 32
    with pytest.raises(ValueError):
        evidence.file.url  # noqa: B018 (private files have no public URL)


def test_two_uploads_never_share_a_name(clinician, other_member, make_application):
    first = make_application(clinician, evidence=[upload("same.pdf", PDF_BYTES, "application/pdf")])
    second = make_application(other_member, evidence=[upload("same.pdf", PDF_BYTES, "application/pdf")])
    assert first.evidence.get().file.name != second.evidence.get().file.name


def test_the_evidence_file_is_not_reachable_under_media_url(client, staff, application_with_evidence):
    evidence = application_with_evidence.evidence.get()
    client.force_login(staff)
    assert client.get(settings.MEDIA_URL + evidence.file.name).status_code == 404


def test_an_applicant_who_is_staff_cannot_approve_their_own_application(client, user_factory, make_application):
    applicant = user_factory("staffdoc", is_staff=True)
    enable_two_factor(applicant)
    application = make_application(applicant)
    client.force_login(applicant)
    response = client.post(f"/mod/verifications/{application.pk}/approve/", {"expires_on": "2099-01-01"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        verification_approve(acting_user=applicant, application=application)
    with pytest.raises(PermissionDenied):
        verification_reject(acting_user=applicant, application=application, reason="self")
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.PENDING
    page = client.get(f"/mod/verifications/{application.pk}/").content.decode()
    assert "another member of staff must decide it" in page
    assert reverse("accounts:verification_approve", args=[application.pk]) not in page


def test_services_refuse_decisions_by_non_staff(member, make_application, clinician):
    application = make_application(clinician)
    with pytest.raises(PermissionDenied):
        verification_approve(acting_user=member, application=application)


def test_a_member_cannot_give_themselves_a_badge_through_the_profile_form(client, member):
    from accounts.selectors import is_verified_professional

    client.force_login(member)
    client.post(
        "/settings/profile/",
        {
            "display_name": "Alice",
            "bio_visibility": "members",
            "conditions_visibility": "nobody",
            "is_verified_professional": "on",
            "status": "approved",
            "is_staff": "on",
        },
    )
    member.refresh_from_db()
    assert not member.is_staff
    assert not is_verified_professional(member)
    assert not ProfessionalVerification.objects.exists()


def test_decision_endpoints_refuse_get(client, staff, application_with_evidence):
    client.force_login(staff)
    response = client.get(f"/mod/verifications/{application_with_evidence.pk}/approve/")
    assert response.status_code == 405


def test_the_audit_log_is_read_only_in_the_admin(client, user_factory, clinician, make_application):
    application = make_application(clinician)
    event = application.events.get()
    admin_user = user_factory("root", is_staff=True, is_superuser=True)
    enable_two_factor(admin_user)
    client.force_login(admin_user)
    assert client.get("/admin/accounts/verificationevent/").status_code == 200
    change_page = client.get(f"/admin/accounts/verificationevent/{event.pk}/change/")
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert client.post(f"/admin/accounts/verificationevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/accounts/verificationevent/add/").status_code == 403
    application_page = client.get(f"/admin/accounts/professionalverification/{application.pk}/change/")
    assert application_page.status_code == 200
    assert "GMC-7654321" not in application_page.content.decode()
    assert VerificationEvent.objects.filter(pk=event.pk).exists()
