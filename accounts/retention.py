"""How long records about members' visits are kept, and the sweep after accounts are closed
(security catalog DA-04, DA-07, AH-09).

Scheduled jobs (``spoonful/schedules.py``), each safe to run twice: a second run finds nothing left to do.
"""

from datetime import datetime, timedelta
from importlib import import_module

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.sessions import session_list_of, sessions_end
from discussions.retention import hashtag_delete_unused
from notifications.retention import notification_email_cancel_for_inactive

IP_RECORD_RETENTION_DAYS = 90


def ip_record_delete_old(*, now: datetime | None = None) -> int:
    """Delete allauth's session records (IP address and user agent) made more than
    ``IP_RECORD_RETENTION_DAYS`` ago, ending their sessions too: a member still signed in on one signs
    in again, so no session outlives its record. Then clear Django's expired sessions. Returns how many
    records were deleted.

    ``last_seen_at`` is when the member signed in on that session: activity is not tracked
    (``USERSESSIONS_TRACK_ACTIVITY``)."""
    now = now or timezone.now()
    old = UserSession.objects.filter(last_seen_at__lt=now - timedelta(days=IP_RECORD_RETENTION_DAYS))
    ended = sessions_end(list(old.values_list("user_id", "session_key")), now=now)
    # The configured engine's own cleanup, as ``manage.py clearsessions`` does it.
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return ended


def account_erasure_sweep(*, now: datetime | None = None) -> int:
    """What must not outlive a closed account, whichever way it was closed (deleted, banned, deactivated
    by staff): mail still queued for a deactivated account is cancelled, its sessions and their records
    end, and hashtags nothing uses any more are deleted. Returns how many rows changed."""
    inactive = list(User.objects.filter(is_active=False).values_list("pk", flat=True))
    return (
        notification_email_cancel_for_inactive()
        + sessions_end(session_list_of(inactive, now=now), now=now)
        + hashtag_delete_unused()
    )
