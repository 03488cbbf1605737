"""Crisis alerts: a post that may be a crisis reaches a person at once, the moderators
of its communities and the staff on call (all staff when there is nobody of either),
after the flag that raised it commits.

Someone takes the alert ("I'm on it", ``crisis_flag_acknowledge``, or any decision on the
flag); an alert nobody took within ``CRISIS_ESCALATION_MINUTES`` goes to all active staff,
once (``crisis_escalate_due``, every minute).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from discussions.models import Discussion, Reply
from moderation.audit import AlreadyHandled, Post, log_community, post_lookup, record_action, require_post_moderator
from moderation.models import Flag, ModerationAction, OnCall
from moderation.selectors import active_staff, crisis_alert_recipients, post_kind
from notifications.services import notify_crisis_alert, notify_crisis_escalation
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


# --- Taking an alert --------------------------------------------------------------------


def _open_crisis_flags(post: Post) -> QuerySet[Flag]:
    return Flag.objects.filter(status=Flag.Status.OPEN, reason=Flag.Reason.CRISIS, **post_lookup(post))


def crisis_flags_take(post: Post, *, acting_user: User, now: datetime | None = None) -> int:
    """Mark the post's open crisis flags nobody took yet as taken by ``acting_user``: deciding
    a flag is the surest way of being on it. Call inside the decision's transaction."""
    return (
        _open_crisis_flags(post)
        .filter(acknowledged_at__isnull=True)
        .update(acknowledged_by=acting_user, acknowledged_at=now or timezone.now())
    )


def crisis_flag_acknowledge(*, acting_user: User, flag: Flag) -> Flag:
    """Say "I'm on it": the moderator takes the crisis item (every open crisis flag on its post), so
    nobody is alerted again and it does not escalate. The first one wins: under the flag's
    lock, a flag already taken by someone else is ``AlreadyHandled`` naming them; taken by
    the same moderator, nothing changes (a double click). Audited."""
    post = flag.post
    require_post_moderator(acting_user, post)
    if not flag.is_crisis:
        raise PermissionDenied("Only crisis items are taken.")
    with transaction.atomic():
        # No join here: a row read after waiting on the lock is fresh, a joined one would not be.
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if locked.acknowledged_at is not None:
            if locked.acknowledged_by_id == acting_user.pk:
                return locked
            who = locked.acknowledged_by.public_name if locked.acknowledged_by else "another moderator"
            when = timezone.localtime(locked.acknowledged_at)
            raise AlreadyHandled(f"Already taken: {who} is on it (since {when:%H:%M}).")
        if locked.status != Flag.Status.OPEN:
            raise AlreadyHandled("Already handled: a moderator decided this item.")
        now = timezone.now()
        crisis_flags_take(post, acting_user=acting_user, now=now)
        record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.CRISIS_ACKNOWLEDGE,
            post=post,
            community=log_community(acting_user, post),
            before={"flag_id": locked.pk},
            after={"acknowledged_at": now.isoformat()},
        )
        locked.refresh_from_db()
    logger.info("moderator %s took crisis flag %s", acting_user.pk, locked.pk)
    return locked


# --- Escalation -------------------------------------------------------------------------


def crisis_escalate_due(now: datetime | None = None) -> int:
    """Every minute: each alerted crisis item that is still open and that nobody took within
    ``CRISIS_ESCALATION_MINUTES`` goes to all active staff, once. The flags are marked
    escalated in the transaction that writes the alerts, under their lock, so a second run
    or a second worker escalates nothing twice. Returns how many flags escalated."""
    now = now or timezone.now()
    due_before = now - timedelta(minutes=settings.CRISIS_ESCALATION_MINUTES)
    with transaction.atomic():
        due = list(
            Flag.objects.select_for_update(of=("self",))
            .filter(
                status=Flag.Status.OPEN,
                reason=Flag.Reason.CRISIS,
                alerted_at__lte=due_before,
                acknowledged_at__isnull=True,
                escalated_at__isnull=True,
            )
            .select_related("discussion", "reply")
            .order_by("pk")
        )
        if not due:
            return 0
        Flag.objects.filter(pk__in=[flag.pk for flag in due]).update(escalated_at=now)
        authors = {flag.post.author_id for flag in due}
        # One escalation for the run, whatever the number of items: the queue shows them all.
        # Never to an author of an escalated post, for the reason the first alert says.
        recipients = list(active_staff().exclude(pk__in=[pk for pk in authors if pk]).values_list("pk", flat=True))
        if not recipients:
            logger.error("crisis escalation of %d flags reached nobody: no active staff", len(due))
            return len(due)
        notify_crisis_escalation(recipient_ids=recipients)
    logger.warning(
        "crisis escalation: %d flags untaken after %d minutes, sent to %d staff",
        len(due),
        settings.CRISIS_ESCALATION_MINUTES,
        len(recipients),
    )
    return len(due)


# --- On call ----------------------------------------------------------------------------


def on_call_set(*, acting_user: User, on_call: bool) -> bool:
    """A staff member goes on or off call; on call, crisis alerts reach them at once beside
    the community's moderators. Audited. Returns whether anything changed."""
    if not (acting_user.is_authenticated and acting_user.is_active and acting_user.is_staff):
        raise PermissionDenied("Only staff go on call.")
    with transaction.atomic():
        if on_call:
            _, changed = OnCall.objects.get_or_create(user=acting_user)
        else:
            changed = bool(OnCall.objects.filter(user=acting_user).delete()[0])
        if changed:
            record_action(
                acting_user=acting_user,
                kind=ModerationAction.Kind.ON_CALL,
                target_user=acting_user,
                after={"on_call": on_call},
            )
    if changed:
        logger.info("staff member %s went %s call", acting_user.pk, "on" if on_call else "off")
    return changed
