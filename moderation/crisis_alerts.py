"""Crisis alerts: a post that may be a crisis reaches a person at once, the moderators
of its communities (staff when it has none), after the flag that raised it commits."""

import logging
from functools import partial

from django.db import transaction

from discussions.models import Discussion, Reply
from moderation.audit import Post, post_lookup
from moderation.models import Flag
from moderation.selectors import crisis_alert_recipients, post_kind
from notifications.services import notify_crisis_alert

logger = logging.getLogger(__name__)


def crisis_alert_on_commit(post: Post, *, exclude_user_ids: tuple[int, ...] = ()) -> None:
    """Alert the moderators after the flag commits, unless a crisis item on this post
    already waits (its alert went out; a second ring for the same item is noise).
    Call before creating the new crisis flag, inside its transaction."""
    if Flag.objects.filter(status=Flag.Status.OPEN, reason=Flag.Reason.CRISIS, **post_lookup(post)).exists():
        return
    transaction.on_commit(
        partial(crisis_alert_send, kind=post_kind(post), pk=post.pk, exclude_user_ids=exclude_user_ids),
        robust=True,
    )


def crisis_alert_send(*, kind: str, pk: int, exclude_user_ids=()) -> int:
    """Tell the people who must act on a crisis item at once (bell, live nudge, email).

    Runs after commit, so it sees the post and flag as saved. Never the post's author:
    telling someone in crisis that their words raised an alert is the support page's job.
    Returns how many people were alerted.
    """
    if kind == "reply":
        post = Reply.objects.select_related("discussion").filter(pk=pk).first()
    else:
        post = Discussion.objects.filter(pk=pk).first()
    if post is None:
        return 0
    excluded = {*exclude_user_ids, post.author_id}
    recipients = crisis_alert_recipients(post, exclude_user_ids=[user_id for user_id in excluded if user_id])
    if not recipients:
        logger.error("crisis alert for %s %s reached nobody: no moderator and no staff", kind, pk)
        return 0
    notify_crisis_alert(recipient_ids=[user.pk for user in recipients])
    logger.info("crisis alert for %s %s sent to %d people", kind, pk, len(recipients))
    return len(recipients)
