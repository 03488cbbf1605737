"""Quiet hours: the hours of a member's day when nothing pushes or emails them.

During a member's quiet hours (``QuietHours``, in the time zone of their digest time) no push goes out, immediate
emails wait (``notifications.emails.send_held`` sends them once the hours end) and so does the daily digest. The
notifications themselves are written as usual: the bell and the list show them whenever the member looks.

Two things get through (``breaks_quiet_hours``):

- a kind in ``ALWAYS_ON`` (crisis alerts to moderators): a duty the member took on, not a preference;
- the crisis exception: a reply by someone who may moderate the discussion, in a discussion the member started,
  when that discussion or one of the member's replies in it has ever been flagged as a crisis (open or decided).
  A moderator answering someone who was in crisis must not wait for the morning.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from moderation.models import Flag
from moderation.selectors import can_moderate_post
from notifications.models import Notification, QuietHours
from notifications.preferences import ALWAYS_ON, digest_time_for


def quiet_hours_for(user_id: int) -> QuietHours | None:
    return QuietHours.objects.filter(user_id=user_id).first()


def quiet_hours_set(*, user: User, start_hour: int | None, end_hour: int | None) -> QuietHours | None:
    """Set (or, with both hours None, clear) a member's quiet hours."""
    if start_hour is None and end_hour is None:
        QuietHours.objects.filter(user=user).delete()
        return None
    if start_hour is None or end_hour is None or not (0 <= start_hour <= 23 and 0 <= end_hour <= 23):
        raise ValueError("quiet hours need a start and an end hour, 0 to 23")
    if start_hour == end_hour:
        raise ValueError("quiet hours must end at another hour than they start")
    row, _ = QuietHours.objects.update_or_create(user=user, defaults={"start_hour": start_hour, "end_hour": end_hour})
    return row


def local_hour(user_id: int, now: datetime) -> int:
    """The hour of the day it is for this member now, in the time zone they chose (UTC if none or unknown)."""
    try:
        zone = ZoneInfo(digest_time_for(user_id).time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).hour


def is_quiet_now(user_id: int, now: datetime | None = None) -> bool:
    quiet = quiet_hours_for(user_id)
    if quiet is None:
        return False
    return quiet.covers(local_hour(user_id, now or timezone.now()))


def breaks_quiet_hours(notification: Notification) -> bool:
    """Whether this notification goes out even during its recipient's quiet hours (see the module's rule)."""
    if notification.kind in ALWAYS_ON:
        return True
    reply = notification.reply
    if reply is None or reply.author_id is None:
        return False
    discussion = reply.discussion
    if discussion.author_id != notification.recipient_id:
        return False
    if not _has_crisis_flag(discussion.pk, notification.recipient_id):
        return False
    return can_moderate_post(reply.author, discussion)


def _has_crisis_flag(discussion_id: int, member_id: int) -> bool:
    """Any crisis flag, open or decided, on the discussion or on one of the member's own replies in it."""
    return (
        Flag.objects.filter(reason=Flag.Reason.CRISIS)
        .filter(Q(discussion_id=discussion_id) | Q(reply__discussion_id=discussion_id, reply__author_id=member_id))
        .exists()
    )


def must_wait(notification: Notification, now: datetime | None = None) -> bool:
    """Whether this notification's push or email waits: its recipient is in quiet hours and it is no exception."""
    return is_quiet_now(notification.recipient_id, now) and not breaks_quiet_hours(notification)
