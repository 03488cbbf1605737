"""Professional verification: applying, staff decisions, expiry.

Decisions take ``acting_user``, are staff-only, can never be made by the applicant,
and each writes a ``VerificationEvent``. The applicant is told of each decision by
email (with no details in it) and by an in-app notice. Evidence files are only
needed to decide, so a decision removes them from disk. The badge itself is read
from the verification table (``accounts.selectors``), never stored on posts.
"""

import datetime
import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AccountNotice,
    ProfessionalVerification,
    User,
    VerificationEvent,
    VerificationEvidence,
    private_storage,
)
from accounts.selectors import is_verified_professional
from accounts.uploads import EVIDENCE_MAX_FILES, CheckedFile, check_evidence
from community.models import Membership
from discussions import events
from moderation.work_alerts import verification_application_alert_enqueue
from notifications.models import Notification
from notifications.services import notify
from spoonful import jobs

logger = logging.getLogger(__name__)

DEFAULT_VERIFICATION_LIFETIME = datetime.timedelta(days=365)
EXPIRY_WARNING_BEFORE = datetime.timedelta(days=30)

Status = ProfessionalVerification.Status
Kind = VerificationEvent.Kind


# --- Notifying the applicant ---------------------------------------------------


def _tell_applicant(application: ProfessionalVerification, text: str) -> None:
    """A notice on the verification page, and a notification (bell and, by the
    member's preference, an email that says only that something changed)."""
    link = reverse("accounts:verification_settings")
    AccountNotice.objects.create(user=application.applicant, text=text, link=link)
    notify(
        application.applicant,
        Notification.Kind.VERIFICATION_DECISION,
        message="There is an update on your professional verification.",
        url=link,
    )


def _record(application: ProfessionalVerification, kind: str, actor: User | None, reason: str = "") -> None:
    VerificationEvent.objects.create(application=application, kind=kind, actor=actor, reason=reason)


# --- Applying ------------------------------------------------------------------


def _store_evidence(application: ProfessionalVerification, files: Iterable[CheckedFile]) -> None:
    for checked in files:
        evidence = VerificationEvidence(
            application=application, content_type=checked.content_type, size=len(checked.content)
        )
        evidence.file.save(f"evidence.{checked.extension}", ContentFile(checked.content), save=False)
        evidence.save()


def _check_evidence_files(uploads: Iterable[UploadedFile], *, already: int = 0) -> list[CheckedFile]:
    uploads = list(uploads)
    if already + len(uploads) > EVIDENCE_MAX_FILES:
        raise ValidationError(f"You can send at most {EVIDENCE_MAX_FILES} evidence files.", code="too_many")
    return [check_evidence(upload) for upload in uploads]


def verification_apply(
    *,
    applicant: User,
    profession: str,
    licence_number: str,
    issuing_body: str,
    country: str,
    speciality: str = "",
    region: str = "",
    register_url: str = "",
    evidence: Iterable[UploadedFile] = (),
) -> ProfessionalVerification:
    """Open an application. A member has at most one open application at a time."""
    checked = _check_evidence_files(evidence)
    with transaction.atomic():
        # Lock the member's row so two simultaneous submissions cannot both pass the check.
        User.objects.select_for_update().filter(pk=applicant.pk).first()
        if ProfessionalVerification.objects.filter(
            applicant=applicant, status__in=ProfessionalVerification.OPEN_STATES
        ).exists():
            raise ValidationError("You already have an application waiting for review.", code="already_open")
        application = ProfessionalVerification(
            applicant=applicant,
            profession=profession,
            speciality=speciality.strip(),
            licence_number=licence_number.strip(),
            issuing_body=issuing_body.strip(),
            country=country.strip(),
            region=region.strip(),
            register_url=register_url.strip(),
        )
        application.full_clean()
        application.save()
        _store_evidence(application, checked)
        _record(application, Kind.APPLIED, applicant)
        verification_application_alert_enqueue(application)
    return application


def verification_provide_info(
    *,
    applicant: User,
    application: ProfessionalVerification,
    message: str,
    evidence: Iterable[UploadedFile] = (),
) -> ProfessionalVerification:
    """The applicant answers a request for more information; the application goes back to the queue."""
    with transaction.atomic():
        application = ProfessionalVerification.objects.select_for_update().get(pk=application.pk)
        if application.applicant_id != applicant.pk or application.status != Status.NEEDS_INFO:
            raise PermissionDenied("This application is not waiting for your answer.")
        already = application.evidence.filter(deleted_at__isnull=True).count()
        checked = _check_evidence_files(evidence, already=already)
        application.status = Status.PENDING
        application.save(update_fields=["status", "updated_at"])
        _store_evidence(application, checked)
        _record(application, Kind.INFO_PROVIDED, applicant, message.strip())
    return application


# --- Deciding ------------------------------------------------------------------


def _check_decider(acting_user: User, application: ProfessionalVerification) -> None:
    if not (acting_user.is_authenticated and acting_user.is_active and acting_user.is_staff):
        raise PermissionDenied("Only staff decide verification applications.")
    if acting_user.pk == application.applicant_id:
        raise PermissionDenied("Nobody may decide their own application.")


def _lock_open(application: ProfessionalVerification) -> ProfessionalVerification:
    locked = ProfessionalVerification.objects.select_for_update().select_related("applicant").get(pk=application.pk)
    if not locked.is_open:
        raise ValidationError("This application has already been decided.", code="already_decided")
    return locked


def _delete_evidence(application: ProfessionalVerification) -> None:
    """Evidence is only needed to decide; once decided it is removed from disk."""
    now = timezone.now()
    for evidence in application.evidence.filter(deleted_at__isnull=True):
        name = evidence.file.name
        evidence.file = ""
        evidence.deleted_at = now
        evidence.save(update_fields=["file", "deleted_at"])
        if name:
            # A job, so a rolled-back decision still has its evidence and a failed delete is retried.
            jobs.enqueue(evidence_file_delete, name)


def evidence_file_delete(name: str) -> None:
    """A job: remove one evidence file from private storage (nothing to do if it is gone)."""
    private_storage().delete(name)


def verification_approve(
    *,
    acting_user: User,
    application: ProfessionalVerification,
    expires_at: datetime.datetime | None = None,
) -> ProfessionalVerification:
    """Grant the badge until ``expires_at`` (one year from now by default)."""
    _check_decider(acting_user, application)
    now = timezone.now()
    expires_at = expires_at or now + DEFAULT_VERIFICATION_LIFETIME
    if expires_at <= now:
        raise ValidationError("The expiry date must be in the future.", code="expiry_in_past")
    with transaction.atomic():
        application = _lock_open(application)
        application.status = Status.APPROVED
        application.decided_by = acting_user
        application.decided_at = now
        application.expires_at = expires_at
        application.expiry_warned_at = None
        application.decision_reason = ""
        application.save()
        _delete_evidence(application)
        _record(application, Kind.APPROVED, acting_user, f"valid until {expires_at:%Y-%m-%d}")
        _tell_applicant(application, "Your professional verification was approved.")
        events.people_shown_changed()
    return application


def verification_reject(
    *, acting_user: User, application: ProfessionalVerification, reason: str
) -> ProfessionalVerification:
    _check_decider(acting_user, application)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please give the applicant a reason.", code="reason_required")
    with transaction.atomic():
        application = _lock_open(application)
        application.status = Status.REJECTED
        application.decided_by = acting_user
        application.decided_at = timezone.now()
        application.decision_reason = reason
        application.save()
        _delete_evidence(application)
        _record(application, Kind.REJECTED, acting_user, reason)
        _tell_applicant(application, "Your professional verification application was not approved.")
    return application


def verification_request_info(
    *, acting_user: User, application: ProfessionalVerification, message: str
) -> ProfessionalVerification:
    _check_decider(acting_user, application)
    message = message.strip()
    if not message:
        raise ValidationError("Please say what information you need.", code="message_required")
    with transaction.atomic():
        application = _lock_open(application)
        application.status = Status.NEEDS_INFO
        application.info_request = message
        application.save()
        _record(application, Kind.INFO_REQUESTED, acting_user, message)
        _tell_applicant(application, "We need more information about your professional verification.")
    return application


def _remove_from_professionals_only(user: User) -> None:
    """When a member stops being verified, they leave communities limited to verified professionals."""
    if is_verified_professional(user):
        return
    events.people_shown_changed()  # their badge leaves every page at once
    removed, _ = Membership.objects.filter(
        user=user, community__professionals_only=True, status=Membership.Status.ACTIVE
    ).delete()
    # Open sockets re-check access even when no membership was removed: badges changed.
    events.access_changed(user_id=user.pk)
    if removed:
        logger.info("member %s left %s professionals-only communities when verification lapsed", user.pk, removed)


def verification_revoke(
    *, acting_user: User, application: ProfessionalVerification, reason: str
) -> ProfessionalVerification:
    """Withdraw an approved verification now; the badge disappears from every page."""
    _check_decider(acting_user, application)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please give a reason for revoking.", code="reason_required")
    with transaction.atomic():
        application = (
            ProfessionalVerification.objects.select_for_update().select_related("applicant").get(pk=application.pk)
        )
        if application.status != Status.APPROVED:
            raise ValidationError("Only an approved verification can be revoked.", code="not_approved")
        application.status = Status.REVOKED
        application.decided_by = acting_user
        application.decided_at = timezone.now()
        application.decision_reason = reason
        application.save()
        _record(application, Kind.REVOKED, acting_user, reason)
        _tell_applicant(application, "Your professional verification was revoked.")
        _remove_from_professionals_only(application.applicant)
    return application


def verification_expire_due(*, now: datetime.datetime | None = None) -> int:
    """Mark approved verifications past their expiry as expired. Safe to run again."""
    now = now or timezone.now()
    expired = 0
    due = ProfessionalVerification.objects.filter(status=Status.APPROVED, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(due):
        with transaction.atomic():
            application = (
                ProfessionalVerification.objects.select_for_update()
                .select_related("applicant")
                .filter(pk=pk, status=Status.APPROVED, expires_at__lte=now)
                .first()
            )
            if application is None:
                continue
            application.status = Status.EXPIRED
            application.save(update_fields=["status", "updated_at"])
            _record(application, Kind.EXPIRED, None, f"expired on {application.expires_at:%Y-%m-%d}")
            _tell_applicant(application, "Your professional verification has expired. You can apply again.")
            _remove_from_professionals_only(application.applicant)
            expired += 1
    return expired


def verification_warn_expiring(*, now: datetime.datetime | None = None) -> int:
    """Warn holders 30 days before expiry, once per verification."""
    now = now or timezone.now()
    warned = 0
    due = ProfessionalVerification.objects.filter(
        status=Status.APPROVED,
        expires_at__gt=now,
        expires_at__lte=now + EXPIRY_WARNING_BEFORE,
        expiry_warned_at__isnull=True,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            updated = ProfessionalVerification.objects.filter(pk=pk, expiry_warned_at__isnull=True).update(
                expiry_warned_at=now
            )
            if not updated:
                continue
            application = ProfessionalVerification.objects.select_related("applicant").get(pk=pk)
            _record(application, Kind.EXPIRY_WARNED, None, f"expires on {application.expires_at:%Y-%m-%d}")
            _tell_applicant(
                application,
                f"Your professional verification expires on {application.expires_at:%d %B %Y}. "
                "Apply again before then to keep your badge.",
            )
            warned += 1
    return warned


def evidence_viewed(*, acting_user: User, evidence: VerificationEvidence) -> None:
    """Staff opened an evidence file: logged, because it is personal data."""
    _record(evidence.application, Kind.EVIDENCE_VIEWED, acting_user, f"evidence file {evidence.pk}")
