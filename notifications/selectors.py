"""Reads about notifications: what a member's list and bell show.

What a notification shows is decided when it is read: the list and the unread count go
through the visibility rule, so a notification about a post the member may no longer
read disappears.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, Q, QuerySet

from accounts.models import User
from discussions.models import Reply
from discussions.selectors import discussion_list_visible_to, reply_list_readable_by
from notifications.models import Notification


def notification_list_visible_to(user: User) -> QuerySet[Notification]:
    """The member's in-app notifications whose post they may still read (one query).

    A notification about a discussion that became private or was removed, or about a
    reply that was hidden or removed, disappears rather than showing a dead link.
    """
    return (
        Notification.objects.filter(recipient=user, in_app=True)
        .filter(Q(discussion__isnull=True) | Q(discussion__in=discussion_list_visible_to(user).values("pk")))
        .filter(Q(reply__isnull=True) | Q(reply__in=reply_list_readable_by(user).filter(status=Reply.Status.PUBLISHED)))
        .select_related("discussion", "reply", "actor")
    )


def unread_count(user: User | AnonymousUser) -> int:
    if not (user.is_authenticated and user.is_active):
        return 0
    return notification_list_visible_to(user).filter(read_at__isnull=True).count()


def notification_exists_for(user: User, notification_id: int) -> bool:
    """Whether this notification is the member's own (any state: read, hidden or not)."""
    return Notification.objects.filter(recipient=user, pk=notification_id).exists()


def newest_in_app_notification_id(user_id: int) -> int | None:
    """Where the member's bell stands: it moves whenever an in-app notification is written.
    A nudge only; what the bell then counts goes through ``unread_count``."""
    return Notification.objects.filter(recipient_id=user_id, in_app=True).aggregate(newest=Max("pk"))["newest"]
