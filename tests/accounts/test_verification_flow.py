"""The whole verification journey through the test client: apply, decide, badge, revoke."""

import datetime
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountNotice, ProfessionalVerification, VerificationEvent, VerificationEvidence
from accounts.selectors import badge_for_post, badges_for_authors, is_verified_professional
from discussions.models import Discussion, Reply
from tests.helpers.uploads import APPLICATION_FIELDS, PDF_BYTES, upload

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/settings/verification/"


def _discussion(author, **fields) -> Discussion:
    defaults = {"title": "Pacing after a crash", "body": "Body", "body_html": "<p>Body</p>"}
    return Discussion.objects.create(author=author, last_activity_at=timezone.now(), **{**defaults, **fields})


def _reply(author, discussion, number=1, **fields) -> Reply:
    return Reply.objects.create(
        author=author,
        discussion=discussion,
        number=number,
        path=f"{number:06d}",
        body="Reply body",
        body_html="<p>Reply body</p>",
        **fields,
    )


def _apply_through_the_form(client, **extra):
    data = {"action": "apply", **APPLICATION_FIELDS, **extra}
    return client.post(SETTINGS_URL, data)


def test_a_clinician_applies_staff_approve_and_the_badge_shows_then_revocation_removes_it(
    client, clinician, staff, member
):
    client.force_login(clinician)
    response = _apply_through_the_form(client, evidence=upload("certificate.pdf", PDF_BYTES, "application/pdf"))
    assert response.status_code == 302
    application = ProfessionalVerification.objects.get(applicant=clinician)
    assert application.status == ProfessionalVerification.Status.PENDING
    assert application.evidence.count() == 1
    assert "Waiting for review" in client.get(SETTINGS_URL).content.decode()

    client.force_login(staff)
    queue = client.get("/mod/verifications/")
    assert queue.status_code == 200
    assert "drlee" in queue.content.decode()
    detail = client.get(f"/mod/verifications/{application.pk}/")
    assert "GMC-7654321" in detail.content.decode()
    expiry = timezone.localdate() + datetime.timedelta(days=200)
    response = client.post(f"/mod/verifications/{application.pk}/approve/", {"expires_on": expiry.isoformat()})
    assert response.status_code == 302

    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.APPROVED
    assert application.decided_by == staff
    assert application.expires_at.date() == expiry
    assert is_verified_professional(clinician)

    discussion = _discussion(member, visibility="public")
    professional_reply = _reply(clinician, discussion, as_professional=True)
    patient_reply = _reply(clinician, discussion, number=2, as_professional=False)
    anonymous_reply = _reply(clinician, discussion, number=3, as_professional=True, is_anonymous=True)
    badge = badge_for_post(professional_reply)
    assert badge is not None
    assert badge.label == "Verified physician · UK"
    assert badge.url == "/professionals/drlee/"
    assert badge_for_post(patient_reply) is None
    assert badge_for_post(anonymous_reply) is None

    badge_page = client.get(badge.url).content.decode()
    assert "General Medical Council" in badge_page
    assert "GMC-7654321" not in badge_page

    response = client.post(f"/mod/verifications/{application.pk}/revoke/", {"reason": "Registration suspended"})
    assert response.status_code == 302
    assert not is_verified_professional(clinician)
    assert badge_for_post(professional_reply) is None
    assert "does not currently hold" in client.get(badge.url).content.decode()

    kinds = list(application.events.values_list("kind", flat=True))
    assert kinds == ["applied", "approved", "revoked"]


def test_the_applicant_is_told_of_each_decision_without_details_in_the_email(
    client, clinician, staff, make_application, django_capture_on_commit_callbacks
):
    application = make_application(clinician)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/mod/verifications/{application.pk}/request-info/", {"message": "Please add your register link"})
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["drlee@example.org"]
    assert "There is an update on your professional verification" in email.body
    assert "http://127.0.0.1:8000/notifications/" in email.body
    for detail in ("register link", "physician", "GMC", "Rheumatology"):
        assert detail.lower() not in (email.subject + email.body).lower()
    assert AccountNotice.objects.filter(user=clinician, seen_at__isnull=True).count() == 1

    client.force_login(clinician)
    page = client.get(SETTINGS_URL).content.decode()
    assert "Please add your register link" in page
    assert "We need more information" in page
    assert not AccountNotice.objects.filter(user=clinician, seen_at__isnull=True).exists()


def test_an_applicant_answers_a_request_for_information_and_goes_back_to_the_queue(
    client, clinician, staff, make_application
):
    application = make_application(clinician)
    client.force_login(staff)
    client.post(f"/mod/verifications/{application.pk}/request-info/", {"message": "Which region?"})
    client.force_login(clinician)
    response = client.post(
        SETTINGS_URL,
        {"action": "info", "message": "Lothian", "evidence": upload("card.pdf", PDF_BYTES, "application/pdf")},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.PENDING
    assert application.evidence.count() == 1
    assert list(application.events.values_list("kind", flat=True)) == ["applied", "info_requested", "info_provided"]


def test_the_applicant_reads_the_rejection_reason(client, clinician, staff, make_application):
    application = make_application(clinician)
    client.force_login(staff)
    client.post(f"/mod/verifications/{application.pk}/reject/", {"reason": "The register shows no such number."})
    client.force_login(clinician)
    page = client.get(SETTINGS_URL).content.decode()
    assert "The register shows no such number." in page
    assert "Apply for verification" in page


def test_a_rejection_needs_a_reason_and_keeps_what_was_typed(client, clinician, staff, make_application):
    application = make_application(clinician)
    client.force_login(staff)
    response = client.post(f"/mod/verifications/{application.pk}/reject/", {"reason": "   "})
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.PENDING


def test_an_expiry_date_in_the_past_is_refused(client, clinician, staff, make_application):
    application = make_application(clinician)
    client.force_login(staff)
    response = client.post(f"/mod/verifications/{application.pk}/approve/", {"expires_on": "2001-01-01"})
    assert response.status_code == 400
    assert "must be after today" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.PENDING


def test_approval_defaults_to_one_year(clinician, staff, make_application):
    from accounts.verification import verification_approve

    application = verification_approve(acting_user=staff, application=make_application(clinician))
    assert application.expires_at - timezone.now() > datetime.timedelta(days=364)
    assert application.expires_at - timezone.now() <= datetime.timedelta(days=365)


def test_the_approve_form_offers_one_year_by_default(client, clinician, staff, make_application):
    application = make_application(clinician)
    client.force_login(staff)
    page = client.get(f"/mod/verifications/{application.pk}/").content.decode()
    assert (timezone.localdate() + datetime.timedelta(days=365)).isoformat() in page


def test_a_member_has_one_open_application_at_a_time(client, clinician, make_application):
    make_application(clinician)
    client.force_login(clinician)
    response = _apply_through_the_form(client)
    assert response.status_code == 302  # the form is not offered; they are told where things stand
    assert ProfessionalVerification.objects.filter(applicant=clinician).count() == 1


def test_deciding_an_already_decided_application_is_refused_clearly(client, clinician, staff, make_application):
    application = make_application(clinician)
    client.force_login(staff)
    client.post(f"/mod/verifications/{application.pk}/reject/", {"reason": "Unknown number"})
    response = client.post(
        f"/mod/verifications/{application.pk}/approve/",
        {"expires_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat()},
        follow=True,
    )
    assert "already been decided" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.REJECTED


def test_evidence_is_deleted_from_disk_once_decided(
    clinician, staff, make_application, settings, django_capture_on_commit_callbacks
):
    from accounts.verification import verification_reject

    application = make_application(clinician, evidence=[upload("licence.pdf", PDF_BYTES, "application/pdf")])
    evidence = application.evidence.get()
    path = evidence.file.path
    assert path.startswith(str(settings.PRIVATE_STORAGE_ROOT))
    with open(path, "rb") as handle:
        assert handle.read() == PDF_BYTES

    with django_capture_on_commit_callbacks(execute=True):
        verification_reject(acting_user=staff, application=application, reason="Not on the register")

    assert not Path(path).exists()
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None
    assert not evidence.file


def test_the_badge_follows_the_current_verification_for_every_post_at_once(verified_clinician, member, staff):
    from accounts.verification import verification_revoke

    discussion = _discussion(verified_clinician, visibility="public", as_professional=True)
    replies = [_reply(verified_clinician, discussion, number=n, as_professional=True) for n in range(1, 4)]
    assert all(badge_for_post(post) for post in [discussion, *replies])
    application = ProfessionalVerification.objects.get(applicant=verified_clinician)
    verification_revoke(acting_user=staff, application=application, reason="Lapsed registration")
    assert not any(badge_for_post(post) for post in [discussion, *replies])


def test_the_conflict_of_interest_line_comes_from_the_profile(verified_clinician):
    from accounts.services import profile_get_or_create

    profile = profile_get_or_create(verified_clinician)
    profile.conflict_of_interest = "Advisory board, Example Pharma"
    profile.save()
    badge = badges_for_authors([verified_clinician.pk])[verified_clinician.pk]
    assert badge.conflict_of_interest == "Advisory board, Example Pharma"


def test_every_event_records_actor_time_and_reason(client, clinician, staff, make_application):
    application = make_application(clinician, evidence=[upload("licence.pdf", PDF_BYTES, "application/pdf")])
    evidence = application.evidence.get()
    client.force_login(staff)
    client.get(reverse("accounts:verification_evidence", args=[application.pk, evidence.pk]))
    client.post(f"/mod/verifications/{application.pk}/request-info/", {"message": "Need the register page"})
    events = list(VerificationEvent.objects.filter(application=application))
    assert [(event.kind, event.actor) for event in events] == [
        ("applied", clinician),
        ("evidence_viewed", staff),
        ("info_requested", staff),
    ]
    assert events[-1].reason == "Need the register page"
    assert all(event.at is not None for event in events)
    page = client.get(f"/mod/verifications/{application.pk}/").content.decode()
    assert "Evidence viewed" in page
    assert VerificationEvidence.objects.filter(pk=evidence.pk, deleted_at__isnull=True).exists()
