"""Appeals: the member a decision was about answers it once, and a moderator upholds
or overturns it. Overturning undoes the decision through the action that undoes it
(``post_restore``, ``sanction_lift``), so that change is audited too.
"""

import contextlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from moderation.audit import AlreadyHandled, clean_reason, notify_member, reason_suffix, record_action
from moderation.member_actions import sanction_lift
from moderation.models import Appeal, ModerationAction, ModerationNotice, Sanction
from moderation.post_actions import post_restore
from moderation.selectors import can_decide_appeal
from moderation.work_alerts import appeal_alert_enqueue


def appeal_create(*, appellant: User, action: ModerationAction, text: str) -> Appeal:
    """The member an action was about replies once; the appeal goes to the queue."""
    if not ModerationNotice.objects.filter(user=appellant, action=action).exists():
        raise PermissionDenied("No such action.")
    text = (text or "").strip()
    if not text:
        raise ValidationError("Write what you would like the moderators to know.")
    if len(text) > 2000:
        raise ValidationError("Keep your appeal under 2000 characters.")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(action=action, appellant=appellant, text=text)
            appeal_alert_enqueue(appeal)
            return appeal
    except IntegrityError:
        raise ValidationError("You have already appealed this decision; a moderator will answer it.") from None


def appeal_decide(*, acting_user: User, appeal: Appeal, overturn: bool, reason: str = "") -> ModerationAction:
    """Uphold or overturn. Overturning restores a removed or hidden post, or lifts the sanction."""
    if not can_decide_appeal(acting_user, appeal):
        raise PermissionDenied("No such appeal.")
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().select_related("action").get(pk=appeal.pk)
        if locked.status != Appeal.Status.OPEN:
            raise AlreadyHandled("Already handled: this appeal was already answered.")
        original = locked.action
        if overturn:
            _reverse(acting_user=acting_user, original=original, reason=reason)
        locked.status = Appeal.Status.OVERTURNED if overturn else Appeal.Status.UPHELD
        locked.decision_reason = reason
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        action = record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.APPEAL_OVERTURN if overturn else ModerationAction.Kind.APPEAL_UPHOLD,
            community=original.community,
            target_user=locked.appellant,
            reason=reason,
            before={"appeal_id": locked.pk, "action_id": original.pk},
            after={"status": locked.status},
        )
        verdict = "reversed the decision" if overturn else "reviewed your appeal and the decision stands"
        notify_member(locked.appellant, action, f"A moderator {verdict}." + reason_suffix(None, reason))
    return action


def _reverse(*, acting_user: User, original: ModerationAction, reason: str) -> None:
    post = original.discussion or original.reply
    if original.kind in (ModerationAction.Kind.REMOVE, ModerationAction.Kind.HIDE) and post is not None:
        # Already restored by someone else: the appeal's outcome holds either way.
        with contextlib.suppress(AlreadyHandled):
            post_restore(acting_user=acting_user, post=post, reason=reason or "Reversed after appeal")
        return
    sanction_id = (original.after or {}).get("sanction_id")
    if sanction_id and original.kind != ModerationAction.Kind.WARN:
        sanction = Sanction.objects.filter(pk=sanction_id, lifted_at__isnull=True).first()
        if sanction is not None:
            sanction_lift(acting_user=acting_user, sanction=sanction, reason=reason or "Reversed after appeal")
