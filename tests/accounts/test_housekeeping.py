"""Expiry, the 30-day warning, and professionals-only communities when a badge lapses."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from taggit.models import Tag

from accounts.models import ProfessionalVerification, VerificationEvent
from accounts.selectors import is_verified_professional
from accounts.verification import verification_expire_due, verification_revoke, verification_warn_expiring
from community.models import Community, Membership

pytestmark = pytest.mark.django_db


def _set_expiry(user, when: datetime.datetime) -> ProfessionalVerification:
    application = ProfessionalVerification.objects.get(applicant=user)
    application.expires_at = when
    application.save(update_fields=["expires_at"])
    return application


def test_the_badge_disappears_at_expiry_even_before_housekeeping_runs(verified_clinician):
    _set_expiry(verified_clinician, timezone.now() - datetime.timedelta(seconds=1))
    assert not is_verified_professional(verified_clinician)


def test_housekeeping_marks_expired_verifications_once(verified_clinician, django_capture_on_commit_callbacks):
    application = _set_expiry(verified_clinician, timezone.now() - datetime.timedelta(minutes=5))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert verification_expire_due() == 1
        assert verification_expire_due() == 0
    application.refresh_from_db()
    assert application.status == ProfessionalVerification.Status.EXPIRED
    assert application.events.filter(kind=VerificationEvent.Kind.EXPIRED, actor=None).count() == 1
    assert len(mail.outbox) == 1


def test_the_holder_is_warned_thirty_days_before_expiry_once(verified_clinician, django_capture_on_commit_callbacks):
    application = _set_expiry(verified_clinician, timezone.now() + datetime.timedelta(days=40))
    assert verification_warn_expiring() == 0
    mail.outbox.clear()
    later = timezone.now() + datetime.timedelta(days=11)
    with django_capture_on_commit_callbacks(execute=True):
        assert verification_warn_expiring(now=later) == 1
        assert verification_warn_expiring(now=later) == 0
        assert verification_warn_expiring(now=later + datetime.timedelta(days=5)) == 0
    assert application.events.filter(kind=VerificationEvent.Kind.EXPIRY_WARNED).count() == 1
    assert len(mail.outbox) == 1
    assert "Rheumatology" not in mail.outbox[0].body
    assert verified_clinician.notices.filter(text__contains="expires on").count() == 1


def test_the_housekeeping_command_is_idempotent(verified_clinician, clinician):
    _set_expiry(verified_clinician, timezone.now() - datetime.timedelta(days=1))
    out = StringIO()
    call_command("verification_housekeeping", stdout=out)
    call_command("verification_housekeeping", stdout=out)
    assert out.getvalue().splitlines() == ["expired 1, warned 0", "expired 0, warned 0"]
    assert VerificationEvent.objects.filter(kind="expired").count() == 1


@pytest.fixture
def clinicians_room(verified_clinician) -> Community:
    community = Community.objects.create(
        slug="clinicians", name="Clinicians", tag=Tag.objects.create(name="clinicians"), professionals_only=True
    )
    Membership.objects.create(user=verified_clinician, community=community)
    return community


def test_revocation_removes_the_member_from_professionals_only_communities(
    verified_clinician, staff, clinicians_room, django_capture_on_commit_callbacks, monkeypatch
):
    open_community = Community.objects.create(slug="mecfs", name="ME/CFS", tag=Tag.objects.create(name="mecfs"))
    Membership.objects.create(user=verified_clinician, community=open_community)
    told = []
    monkeypatch.setattr("discussions.events.access_changed", lambda *, user_id: told.append(user_id))

    application = ProfessionalVerification.objects.get(applicant=verified_clinician)
    verification_revoke(acting_user=staff, application=application, reason="Struck off")

    assert not Membership.objects.filter(user=verified_clinician, community=clinicians_room).exists()
    assert Membership.objects.filter(user=verified_clinician, community=open_community).exists()
    assert told == [verified_clinician.pk]


def test_expiry_removes_the_member_from_professionals_only_communities(verified_clinician, clinicians_room):
    _set_expiry(verified_clinician, timezone.now() - datetime.timedelta(days=1))
    verification_expire_due()
    assert not Membership.objects.filter(community=clinicians_room).exists()


def test_access_change_is_published_after_commit(
    verified_clinician, staff, clinicians_room, django_capture_on_commit_callbacks
):
    application = ProfessionalVerification.objects.get(applicant=verified_clinician)
    with django_capture_on_commit_callbacks() as callbacks:
        verification_revoke(acting_user=staff, application=application, reason="Struck off")
    # The email and the live "access changed" event both wait for the commit.
    assert len(callbacks) >= 2
