"""Reads about notifications: what a member's list and bell show.

What a notification shows is decided when it is read: the list and the unread count go
through the visibility rule, so a notification about a post the member may no longer
read disappears.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Q, QuerySet

from accounts.models import User
from discussions.models import Reply
from discussions.selectors import (
    VisibilityShape,
    discussion_list_visible_in,
    reply_list_readable_in,
    visibility_shape,
)
from notifications.models import Notification
from spoonful.prepared import PreparedQuery


def notification_list_visible_to(user: User) -> QuerySet[Notification]:
    """The member's in-app notifications whose post they may still read (one query).

    A notification about a discussion that became private or was removed, or about a
    reply that was hidden or removed, disappears rather than showing a dead link.
    """
    return _readable_notifications(visibility_shape(user), user.pk).select_related("discussion", "reply", "actor")


def unread_count(user: User | AnonymousUser) -> int:
    """How many of ``notification_list_visible_to`` are unread: every signed-in page's bell.
    One query, prepared (``spoonful.prepared``)."""
    if not (user.is_authenticated and user.is_active):
        return 0
    counted = _unread_count(visibility_shape(user), recipient_id=user.pk)
    return counted[0]["n"] if counted else 0


def _readable_notifications(shape: VisibilityShape, recipient_id: int) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient_id=recipient_id, in_app=True)
        .filter(
            Q(discussion__isnull=True) | Q(discussion__in=discussion_list_visible_in(shape, recipient_id).values("pk"))
        )
        .filter(
            Q(reply__isnull=True)
            | Q(
                reply__in=reply_list_readable_in(shape, recipient_id).filter(status=Reply.Status.PUBLISHED).values("pk")
            )
        )
    )


def _published(replies: QuerySet[Reply]) -> QuerySet[Reply]:
    return replies.filter(status=Reply.Status.PUBLISHED).values("pk")


_unread_count = PreparedQuery(
    lambda *shape, recipient_id: (
        _readable_notifications(shape, recipient_id)
        .filter(read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    ),
    integers=("recipient_id",),
)


def notification_exists_for(user: User, notification_id: int) -> bool:
    """Whether this notification is the member's own (any state: read, hidden or not)."""
    return Notification.objects.filter(recipient=user, pk=notification_id).exists()


def newest_in_app_notification_id(user_id: int) -> int | None:
    """Where the member's bell stands: it moves whenever an in-app notification is written.
    A nudge only; what the bell then counts goes through ``unread_count``."""
    return Notification.objects.filter(recipient_id=user_id, in_app=True).aggregate(newest=Max("pk"))["newest"]
