"""Crisis alerts: a post that may be a crisis reaches a person at once, the moderators
of its communities (staff when it has none), after the flag that raised it commits."""

import logging

from django.db import transaction
from django.utils import timezone

from discussions.models import Discussion, Reply
from moderation.audit import Post, post_lookup
from moderation.models import Flag
from moderation.selectors import crisis_alert_recipients, post_kind
from notifications.services import notify_crisis_alert
from spoonful import jobs

logger = logging.getLogger(__name__)


def crisis_alert_enqueue(post: Post, *, exclude_user_ids: tuple[int, ...] = ()) -> None:
    """Queue the moderators' alert with the flag, unless a crisis item on this post
    already waits (its alert went out; a second ring for the same item is noise).
    Call before creating the new crisis flag, inside its transaction."""
    if Flag.objects.filter(status=Flag.Status.OPEN, reason=Flag.Reason.CRISIS, **post_lookup(post)).exists():
        return
    jobs.enqueue(crisis_alert_send, post_kind(post), post.pk, list(exclude_user_ids))


@transaction.atomic
def crisis_alert_send(kind: str, pk: int, exclude_user_ids: list[int]) -> int:
    """A job: tell the people who must act on a crisis item at once (bell, live nudge, email).

    Queued with the flag, so it sees the post and flag as saved. Never the post's author:
    telling someone in crisis that their words raised an alert is the support page's job.
    The open crisis flags it alerts for are marked in the same transaction as the alerts,
    so a second run finds nothing to alert for. Returns how many people were alerted.
    """
    if kind == "reply":
        post = Reply.objects.select_related("discussion").filter(pk=pk).first()
    else:
        post = Discussion.objects.filter(pk=pk).first()
    if post is None:
        return 0
    unalerted = Flag.objects.select_for_update().filter(
        status=Flag.Status.OPEN, reason=Flag.Reason.CRISIS, alerted_at__isnull=True, **post_lookup(post)
    )
    if not unalerted.exists():
        return 0
    unalerted.update(alerted_at=timezone.now())
    excluded = {*exclude_user_ids, post.author_id}
    recipients = crisis_alert_recipients(post, exclude_user_ids=[user_id for user_id in excluded if user_id])
    if not recipients:
        logger.error("crisis alert for %s %s reached nobody: no moderator and no staff", kind, pk)
        return 0
    notify_crisis_alert(recipient_ids=[user.pk for user in recipients])
    logger.info("crisis alert for %s %s sent to %d people", kind, pk, len(recipients))
    return len(recipients)
