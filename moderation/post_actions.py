"""Moderation actions on one post, a discussion or a reply: approve, hide, remove and
restore it, dismiss its flags, redact personal data from it, remove one of its attachments,
reveal its anonymous author;
and the daily purge of redacted originals. Each is audited (``moderation.audit``).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from discussions.attachments import attachment_files_delete_later
from discussions.markdown import render_markdown
from discussions.models import Attachment, Discussion, Reply, Revision
from moderation.audit import (
    Post,
    already_handled,
    announce_change,
    check_guideline,
    clean_reason,
    lock_post,
    log_community,
    notify_member,
    post_lookup,
    post_snapshot,
    reason_suffix,
    record_action,
    require_post_moderator,
)
from moderation.crisis_alerts import crisis_flags_take
from moderation.models import Flag, ModerationAction
from moderation.selectors import communities_of, post_kind

REDACTION_MARK = "[removed: personal data]"
REDACTION_RETENTION_DAYS = getattr(settings, "MODERATION_REDACTION_RETENTION_DAYS", 90)


@dataclass(frozen=True)
class Seen:
    """What the moderator saw when they clicked: a decision is about that state.

    From the queue, a click means "decide these flags on this post as it is";
    if another moderator changed the post or decided its flags in between, the
    click is answered with AlreadyHandled instead of stacking a second decision.
    """

    status: str = ""
    had_open_flags: bool = False


def _check_seen(post: Post, seen: Seen | None) -> None:
    if seen is None:
        return
    if seen.status and post.status != seen.status:
        raise already_handled(post, f"it is now {post.get_status_display().lower()}")
    if seen.had_open_flags and not Flag.objects.filter(status=Flag.Status.OPEN, **post_lookup(post)).exists():
        raise already_handled(post, "its flags were already decided")


def _close_flags(post: Post, *, acting_user: User, status: str, outcome: str) -> int:
    now = timezone.now()
    # Deciding a crisis item nobody had taken is taking it: the queue and the dashboard say who responded.
    crisis_flags_take(post, acting_user=acting_user, now=now)
    return Flag.objects.filter(status=Flag.Status.OPEN, **post_lookup(post)).update(
        status=status, outcome=outcome, decided_by=acting_user, decided_at=now
    )


def _adjust_reply_count(reply: Reply, *, was_published: bool, is_published: bool) -> None:
    if was_published == is_published:
        return
    discussions = Discussion.objects.filter(pk=reply.discussion_id)
    if is_published:
        discussions.update(published_reply_count=F("published_reply_count") + 1)
    else:
        discussions.filter(published_reply_count__gt=0).update(published_reply_count=F("published_reply_count") - 1)


def _describe(post: Post) -> str:
    return "your reply" if isinstance(post, Reply) else "your discussion"


def _transition(
    *,
    acting_user: User,
    post: Post,
    kind: str,
    allowed_from: tuple[str, ...],
    to_status: str,
    already: str,
    guideline: int | None = None,
    reason: str = "",
    flag_status: str = Flag.Status.ACTIONED,
    flag_outcome: str,
    notice: str | None = None,
    seen: Seen | None = None,
) -> ModerationAction:
    require_post_moderator(acting_user, post)
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = lock_post(post)
        if locked.status not in allowed_from:
            raise already_handled(locked, already)
        _check_seen(locked, seen)
        communities = list(communities_of(locked))
        guideline = check_guideline(guideline, communities)
        before = post_snapshot(locked)
        was_published = locked.status == Discussion.Status.PUBLISHED
        first_publication = locked.status == Discussion.Status.HELD and to_status == Discussion.Status.PUBLISHED
        locked.status = to_status
        if to_status == Discussion.Status.REMOVED:
            locked.removal_guideline = guideline
            locked.removal_reason = reason
            locked.tombstoned_at = timezone.now()
        elif to_status == Discussion.Status.PUBLISHED:
            locked.removal_guideline = None
            locked.removal_reason = ""
            locked.tombstoned_at = None
        locked.save(update_fields=["status", "removal_guideline", "removal_reason", "tombstoned_at"])
        if isinstance(locked, Reply):
            _adjust_reply_count(locked, was_published=was_published, is_published=to_status == Reply.Status.PUBLISHED)
        action = record_action(
            acting_user=acting_user,
            kind=kind,
            post=locked,
            community=log_community(acting_user, locked),
            target_user=locked.author,
            guideline=guideline,
            reason=reason,
            before=before,
            after=post_snapshot(locked),
        )
        _close_flags(locked, acting_user=acting_user, status=flag_status, outcome=flag_outcome)
        if notice and locked.author_id != acting_user.pk:
            notify_member(
                locked.author, action, notice.format(post=_describe(locked)) + reason_suffix(guideline, reason)
            )
        announce_change(locked, first_publication=first_publication)
    post.status = locked.status
    return action


def post_approve(*, acting_user: User, post: Post, reason: str = "", seen: Seen | None = None) -> ModerationAction:
    """Publish a post that was held for review. A hidden one comes back through ``post_restore``,
    which tells its author it was restored rather than approved."""
    return _transition(
        acting_user=acting_user,
        post=post,
        kind=ModerationAction.Kind.APPROVE,
        allowed_from=(Discussion.Status.HELD,),
        to_status=Discussion.Status.PUBLISHED,
        already="it is not waiting for review",
        reason=reason,
        flag_status=Flag.Status.DISMISSED,
        flag_outcome="A moderator reviewed the post and left it up.",
        notice="A moderator approved {post}; it is now published.",
        seen=seen,
    )


def post_hide(
    *, acting_user: User, post: Post, guideline: int | None = None, reason: str = "", seen: Seen | None = None
) -> ModerationAction:
    """Take a post out of view while moderators look at it."""
    return _transition(
        acting_user=acting_user,
        post=post,
        kind=ModerationAction.Kind.HIDE,
        allowed_from=(Discussion.Status.PUBLISHED,),
        to_status=Discussion.Status.HIDDEN,
        already="it is no longer published",
        guideline=guideline,
        reason=reason,
        flag_outcome="A moderator hid the post while they review it.",
        notice="A moderator hid {post} while they review it.",
        seen=seen,
    )


def post_remove(
    *, acting_user: User, post: Post, guideline: int | None = None, reason: str = "", seen: Seen | None = None
) -> ModerationAction:
    """Remove a post; a reply keeps its number and shows a tombstone with the guideline
    (the reason is told to the author, and shown on the tombstone to them alone)."""
    return _transition(
        acting_user=acting_user,
        post=post,
        kind=ModerationAction.Kind.REMOVE,
        allowed_from=(Discussion.Status.PUBLISHED, Discussion.Status.HELD, Discussion.Status.HIDDEN),
        to_status=Discussion.Status.REMOVED,
        already="it was already removed or deleted",
        guideline=guideline,
        reason=reason,
        flag_outcome="A moderator removed the post.",
        notice="A moderator removed {post}.",
        seen=seen,
    )


def post_restore(*, acting_user: User, post: Post, reason: str = "", seen: Seen | None = None) -> ModerationAction:
    """Put a removed or hidden post back."""
    return _transition(
        acting_user=acting_user,
        post=post,
        kind=ModerationAction.Kind.RESTORE,
        allowed_from=(Discussion.Status.REMOVED, Discussion.Status.HIDDEN),
        to_status=Discussion.Status.PUBLISHED,
        already="it is not removed or hidden",
        reason=reason,
        flag_status=Flag.Status.DISMISSED,
        flag_outcome="A moderator reviewed the post and left it up.",
        notice="A moderator restored {post}.",
        seen=seen,
    )


def flags_dismiss(*, acting_user: User, post: Post, reason: str = "", seen: Seen | None = None) -> ModerationAction:
    """Close the open flags on a post, leaving the post as it is."""
    require_post_moderator(acting_user, post)
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = lock_post(post)
        open_flags = list(
            Flag.objects.select_for_update()
            .filter(status=Flag.Status.OPEN, **post_lookup(locked))
            .values_list("pk", flat=True)
        )
        if not open_flags:
            raise already_handled(locked, "its flags were already decided")
        _check_seen(locked, seen)
        action = record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.DISMISS_FLAGS,
            post=locked,
            community=log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before={**post_snapshot(locked), "open_flags": open_flags},
            after=post_snapshot(locked),
        )
        _close_flags(
            locked,
            acting_user=acting_user,
            status=Flag.Status.DISMISSED,
            outcome="A moderator reviewed the post and left it up.",
        )
    return action


def post_redact(*, acting_user: User, post: Post, span: str, reason: str = "") -> ModerationAction:
    """Replace every occurrence of ``span`` with "[removed: personal data]", keeping the rest.

    The original text is kept only in the audit row, until ``purge_after``
    (``moderation_purge_expired``), and earlier revisions are redacted too.
    """
    require_post_moderator(acting_user, post)
    reason = clean_reason(reason)
    span = (span or "").strip()
    if len(span) < 2:
        raise ValidationError("Paste the exact text to remove (at least two characters).")
    with transaction.atomic():
        locked = lock_post(post)
        if locked.status == Discussion.Status.DELETED:
            raise already_handled(locked, "its author deleted it")
        title = getattr(locked, "title", "")
        if span not in locked.body and span not in title:
            raise ValidationError("That text does not appear in the post; paste it exactly as written.")
        before = {**post_snapshot(locked), "body": locked.body}
        if isinstance(locked, Discussion):
            before["title"] = title
            locked.title = title.replace(span, REDACTION_MARK)[:200]
        locked.body = locked.body.replace(span, REDACTION_MARK)
        locked.body_html = render_markdown(locked.body)
        fields = ["body", "body_html"] + (["title"] if isinstance(locked, Discussion) else [])
        locked.save(update_fields=fields)
        for revision in Revision.objects.filter(**post_lookup(locked)).select_for_update():
            revision.body = revision.body.replace(span, REDACTION_MARK)
            revision.title = revision.title.replace(span, REDACTION_MARK)
            revision.save(update_fields=["body", "title"])
        action = record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.REDACT,
            post=locked,
            community=log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after={**post_snapshot(locked), "body": locked.body},
            purge_after=timezone.now() + timedelta(days=REDACTION_RETENTION_DAYS),
        )
        _close_flags(
            locked, acting_user=acting_user, status=Flag.Status.ACTIONED, outcome="A moderator removed personal data."
        )
        if locked.author_id != acting_user.pk:
            notify_member(
                locked.author,
                action,
                f"A moderator removed personal data from {_describe(locked)}." + reason_suffix(None, reason),
            )
        announce_change(locked)
    return action


def attachment_remove(*, acting_user: User, post: Post, attachment_id: int, reason: str = "") -> ModerationAction:
    """Remove one photo or PDF from a post, leaving the rest of it as it is.

    The row stays as a tombstone ("An attachment was removed by moderators") with
    neither its description nor its file name, which may be what was wrong with it;
    the file itself is deleted once this commits. It cannot be restored.
    """
    require_post_moderator(acting_user, post)
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = lock_post(post)
        attachments = Attachment.objects.select_for_update()
        if isinstance(locked, Reply):
            attachments = attachments.filter(reply=locked)
        else:
            attachments = attachments.filter(discussion=locked, reply__isnull=True)
        attachment = attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise ValidationError("That attachment is not on this post.")
        if attachment.is_removed:
            raise already_handled(locked, "that attachment was already removed")
        before = {**post_snapshot(locked), "attachment": attachment.pk, "attachment_kind": attachment.kind}
        attachment_files_delete_later([attachment])
        attachment.removed_at = timezone.now()
        attachment.removed_by = acting_user
        attachment.file = ""
        attachment.alt_text = ""
        attachment.filename = "removed"
        attachment.save(update_fields=["removed_at", "removed_by", "file", "alt_text", "filename"])
        action = record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.REMOVE_ATTACHMENT,
            post=locked,
            community=log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after={**before, "removed": True},
        )
        if locked.author_id != acting_user.pk:
            notify_member(
                locked.author,
                action,
                f"A moderator removed an attachment from {_describe(locked)}." + reason_suffix(None, reason),
            )
        announce_change(locked)
    return action


def moderation_purge_expired(*, now=None) -> int:
    """Forget redacted text whose retention period has passed. Run daily (a management command or cron)."""
    now = now or timezone.now()
    expired = ModerationAction.objects.filter(purge_after__lte=now)
    # .update() on purpose: the row stays, only the kept original goes.
    return expired.update(before={"purged": True}, purge_after=None)


def post_reveal_author(*, acting_user: User, post: Post, reason: str) -> User | None:
    """Who wrote an anonymous post. Moderators of its communities only; the look is audited."""
    require_post_moderator(acting_user, post)
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.REVEAL,
            post=post,
            community=log_community(acting_user, post),
            target_user=post.author,
            reason=reason,
            before={"kind": post_kind(post), "id": post.pk, "is_anonymous": post.is_anonymous},
        )
    return post.author
