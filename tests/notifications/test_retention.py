"""Notification history is kept for a limited time (DA-07); mail queued for a closed account never goes (AH-09)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.emails import send_immediate
from notifications.models import Notification
from notifications.retention import (
    READ_RETENTION_DAYS,
    RETENTION_DAYS,
    notification_delete_old,
    notification_email_cancel_for_inactive,
)

pytestmark = pytest.mark.django_db
Status = Notification.EmailStatus
NOW = timezone.now() + timedelta(days=1000)


def _notification(recipient, *, age_days: float = 0, read: bool = False, email_status: str = Status.NONE):
    notification = Notification.objects.create(
        recipient=recipient,
        kind=Notification.Kind.MODERATION_DECISION,
        message="A moderator approved your discussion.",
        email_status=email_status,
    )
    made = NOW - timedelta(days=age_days)
    Notification.objects.filter(pk=notification.pk).update(created_at=made, read_at=made if read else None)
    return notification


def test_read_notifications_go_after_180_days_and_any_after_365(member):
    read_old = _notification(member, age_days=READ_RETENTION_DAYS + 1, read=True)
    read_young = _notification(member, age_days=READ_RETENTION_DAYS - 1, read=True)
    unread_old = _notification(member, age_days=RETENTION_DAYS - 1)
    unread_older = _notification(member, age_days=RETENTION_DAYS + 1)

    assert notification_delete_old(now=NOW) == 2
    assert notification_delete_old(now=NOW) == 0
    kept = set(Notification.objects.values_list("pk", flat=True))
    assert kept == {read_young.pk, unread_old.pk}
    assert not kept & {read_old.pk, unread_older.pk}


def test_mail_waiting_for_a_deactivated_account_is_cancelled(member, other_member):
    member.is_active = False
    member.save(update_fields=["is_active"])
    immediate = _notification(member, email_status=Status.IMMEDIATE)
    digest = _notification(member, email_status=Status.DIGEST)
    sent = _notification(member, email_status=Status.SENT)
    someone_elses = _notification(other_member, email_status=Status.DIGEST)

    assert notification_email_cancel_for_inactive() == 2
    assert notification_email_cancel_for_inactive() == 0

    statuses = dict(Notification.objects.values_list("pk", "email_status"))
    assert [statuses[n.pk] for n in (immediate, digest, sent, someone_elses)] == [
        Status.SKIPPED,
        Status.SKIPPED,
        Status.SENT,
        Status.DIGEST,
    ]
    mail.outbox.clear()
    assert send_immediate([immediate.pk]) == 0
    assert mail.outbox == []
