"""How long notifications are kept, and mail that must not go out (security catalog DA-07, AH-09).

Scheduled jobs (``spoonful/schedules.py``), each safe to run twice: a second run finds nothing left to do.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from notifications.models import Notification

READ_RETENTION_DAYS = 180
RETENTION_DAYS = 365


def notification_delete_old(*, now: datetime | None = None) -> int:
    """Delete read notifications made more than ``READ_RETENTION_DAYS`` ago, and any made more than
    ``RETENTION_DAYS`` ago, read or not. Returns how many."""
    now = now or timezone.now()
    old_and_read = Q(created_at__lt=now - timedelta(days=READ_RETENTION_DAYS), read_at__isnull=False)
    older_than_kept = Q(created_at__lt=now - timedelta(days=RETENTION_DAYS))
    deleted, _ = Notification.objects.filter(old_and_read | older_than_kept).delete()
    return deleted


def notification_email_cancel_for_inactive() -> int:
    """Mark notifications still waiting to be emailed to a deactivated (banned or deleting) account as
    not emailed: mail queued for them is cancelled. Returns how many."""
    waiting = (Notification.EmailStatus.IMMEDIATE, Notification.EmailStatus.DIGEST, Notification.EmailStatus.HELD)
    return Notification.objects.filter(email_status__in=waiting, recipient__is_active=False).update(
        email_status=Notification.EmailStatus.SKIPPED
    )
