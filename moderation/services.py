"""Moderation writes: actions on posts and members, flags, appeals, and posting-time screening.

Every action takes ``acting_user``, checks their right itself (``PermissionDenied``,
which views answer with 404) and writes one ``ModerationAction`` row in the same
transaction as the change, so there is never a change without its audit entry.

Two moderators acting on the same item: each action locks the row it changes
(``select_for_update``) and re-checks its state under the lock. The first one
wins; the second gets ``AlreadyHandled`` saying what happened, and nothing of it
is written. (SQLite ignores the lock but serialises writers anyway.)
"""

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import User
from community.models import Community, Membership
from discussions import events
from discussions.models import Discussion, DiscussionTag, Reply, Revision, Visibility
from discussions.placement import communities_named, placement_for
from moderation.crisis import MAX_SCREENED_CHARS, compile_keyword_pattern, find_crisis_phrases
from moderation.models import Appeal, Flag, KeywordRule, ModerationAction, ModerationNotice, Sanction
from moderation.selectors import (
    can_moderate_post,
    communities_moderated_by,
    communities_of,
    crisis_alert_recipients,
    discussion_of,
    post_kind,
)

logger = logging.getLogger("moderation.services")

Post = Discussion | Reply
REDACTION_MARK = "[removed: personal data]"
REDACTION_RETENTION_DAYS = getattr(settings, "MODERATION_REDACTION_RETENTION_DAYS", 90)
MAX_REASON_LENGTH = 500


class AlreadyHandled(Exception):
    """Another moderator got there first (or the item is already in the asked-for state)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Shared steps ---------------------------------------------------------------------


def _require_post_moderator(acting_user: User, post: Post) -> None:
    if not can_moderate_post(acting_user, post):
        raise PermissionDenied("Only moderators of this post's communities can do that.")


def _require_community_moderator(acting_user: User, community: Community) -> None:
    if not communities_moderated_by(acting_user).filter(pk=community.pk).exists():
        raise PermissionDenied("Only this community's moderators can do that.")


def _clean_reason(reason: str, *, required: bool = False) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"Keep the reason under {MAX_REASON_LENGTH} characters.")
    if required and not reason:
        raise ValidationError("Give a reason; it is kept in the audit log.")
    return reason


def _check_guideline(guideline: int | None, communities: list[Community]) -> int | None:
    if guideline is None:
        return None
    if guideline < 1 or not any(community.guideline(guideline) for community in communities):
        if communities and any(community.guideline_list() for community in communities):
            raise ValidationError(f"There is no guideline {guideline} in this community.")
        if guideline < 1:
            raise ValidationError("Guideline numbers start at 1.")
    return guideline


def _post_lookup(post: Post) -> dict:
    return {"reply": post} if isinstance(post, Reply) else {"discussion": post}


def _post_snapshot(post: Post) -> dict:
    snapshot = {
        "kind": post_kind(post),
        "id": post.pk,
        "status": post.status,
        "removal_guideline": post.removal_guideline,
        "removal_reason": post.removal_reason,
    }
    if isinstance(post, Reply):
        snapshot["discussion"] = post.discussion_id
        snapshot["number"] = post.number
    else:
        snapshot["is_locked"] = post.is_locked
        snapshot["is_pinned"] = post.is_pinned
        snapshot["hashtags"] = sorted(post.tags.names())
    return snapshot


def _log_community(acting_user: User, post: Post) -> Community | None:
    """The community an action on a post is filed under: one the actor moderates, if any."""
    communities = communities_of(post)
    mine = communities.filter(pk__in=communities_moderated_by(acting_user).values("pk")).order_by("slug").first()
    return mine or communities.order_by("slug").first()


def _record(
    *,
    acting_user: User,
    kind: str,
    post: Post | None = None,
    community: Community | None = None,
    target_user: User | None = None,
    guideline: int | None = None,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
    purge_after=None,
) -> ModerationAction:
    return ModerationAction.objects.create(
        actor=acting_user,
        kind=kind,
        community=community,
        discussion=post if isinstance(post, Discussion) else None,
        reply=post if isinstance(post, Reply) else None,
        target_user=target_user,
        guideline=guideline,
        reason=reason,
        before=before or {},
        after=after or {},
        purge_after=purge_after,
    )


def _lock(post: Post) -> Post:
    model = type(post)
    queryset = model.objects.select_for_update()
    locked = queryset.get(pk=post.pk)
    if isinstance(locked, Reply):
        # Not locked, only read: the counters are updated with F() expressions.
        locked.discussion = Discussion.objects.get(pk=locked.discussion_id)
    return locked


def _already(post: Post, what: str) -> AlreadyHandled:
    last = ModerationAction.objects.filter(**_post_lookup(post)).select_related("actor").order_by("-created_at").first()
    if last is not None and last.actor is not None:
        when = timezone.localtime(last.created_at)
        return AlreadyHandled(
            f"Already handled: {what} ({last.get_kind_display().lower()} by {last.actor.public_name} at {when:%H:%M})."
        )
    return AlreadyHandled(f"Already handled: {what}.")


def _close_flags(post: Post, *, acting_user: User, status: str, outcome: str) -> int:
    return Flag.objects.filter(status=Flag.Status.OPEN, **_post_lookup(post)).update(
        status=status, outcome=outcome, decided_by=acting_user, decided_at=timezone.now()
    )


def _adjust_reply_count(reply: Reply, *, was_published: bool, is_published: bool) -> None:
    if was_published == is_published:
        return
    discussions = Discussion.objects.filter(pk=reply.discussion_id)
    if is_published:
        discussions.update(published_reply_count=F("published_reply_count") + 1)
    else:
        discussions.filter(published_reply_count__gt=0).update(published_reply_count=F("published_reply_count") - 1)


def _announce(post: Post, *, first_publication: bool = False) -> None:
    """Live update, search index and, on first publication, notifications (all after commit)."""
    from discussions.search import search_index_update
    from notifications.services import notify_discussion_created, notify_reply_created

    discussion_id = post.discussion_id if isinstance(post, Reply) else post.pk
    transaction.on_commit(partial(search_index_update, discussion_id), robust=True)
    if isinstance(post, Reply):
        if first_publication:
            events.reply_created(discussion_id=post.discussion_id, number=post.number)
            transaction.on_commit(partial(notify_reply_created, post.pk), robust=True)
        else:
            events.reply_changed(discussion_id=post.discussion_id, number=post.number)
    else:
        events.discussion_changed(discussion_id=post.pk)
        if first_publication:
            transaction.on_commit(partial(notify_discussion_created, post.pk), robust=True)


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _notices_path() -> str:
    try:
        return reverse("moderation:notices")
    except NoReverseMatch:
        return "/mod/notices/"


def _notify(user: User | None, action: ModerationAction, message: str) -> ModerationNotice | None:
    """Tell a member: a notice they can appeal from, and a notification (bell and,
    by their preference, an email). Neither the notification nor its email names
    the post, the community (a condition hashtag is health data) or the reason;
    the member reads those on the notices page after signing in.
    """
    from notifications.models import Notification
    from notifications.services import notify

    if user is None or not user.is_active:
        return None
    notice = ModerationNotice.objects.create(user=user, action=action, message=message[:300])
    notify(
        user,
        Notification.Kind.MODERATION_DECISION,
        message="A moderator reviewed something of yours. Read what was done and why.",
        url=_notices_path(),
    )
    return notice


def _describe(post: Post) -> str:
    return "your reply" if isinstance(post, Reply) else "your discussion"


def _why(guideline: int | None, reason: str) -> str:
    parts = []
    if guideline:
        parts.append(f"guideline {guideline}")
    if reason:
        parts.append(reason)
    return (" Reason: " + "; ".join(parts) + ".") if parts else ""


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
        raise _already(post, f"it is now {post.get_status_display().lower()}")
    if seen.had_open_flags and not Flag.objects.filter(status=Flag.Status.OPEN, **_post_lookup(post)).exists():
        raise _already(post, "its flags were already decided")


# --- Actions on posts -------------------------------------------------------------------


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
    _require_post_moderator(acting_user, post)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _lock(post)
        if locked.status not in allowed_from:
            raise _already(locked, already)
        _check_seen(locked, seen)
        communities = list(communities_of(locked))
        guideline = _check_guideline(guideline, communities)
        before = _post_snapshot(locked)
        was_published = locked.status == Discussion.Status.PUBLISHED
        first_publication = locked.status == Discussion.Status.HELD and to_status == Discussion.Status.PUBLISHED
        locked.status = to_status
        if to_status == Discussion.Status.REMOVED:
            locked.removal_guideline = guideline
            locked.removal_reason = reason
        elif to_status == Discussion.Status.PUBLISHED:
            locked.removal_guideline = None
            locked.removal_reason = ""
        locked.save(update_fields=["status", "removal_guideline", "removal_reason"])
        if isinstance(locked, Reply):
            _adjust_reply_count(locked, was_published=was_published, is_published=to_status == Reply.Status.PUBLISHED)
        action = _record(
            acting_user=acting_user,
            kind=kind,
            post=locked,
            community=_log_community(acting_user, locked),
            target_user=locked.author,
            guideline=guideline,
            reason=reason,
            before=before,
            after=_post_snapshot(locked),
        )
        _close_flags(locked, acting_user=acting_user, status=flag_status, outcome=flag_outcome)
        if notice and locked.author_id != acting_user.pk:
            _notify(locked.author, action, notice.format(post=_describe(locked)) + _why(guideline, reason))
        _announce(locked, first_publication=first_publication)
    post.status = locked.status
    return action


def post_approve(*, acting_user: User, post: Post, reason: str = "", seen: Seen | None = None) -> ModerationAction:
    """Publish a post that was held for review, or keep one that was hidden."""
    return _transition(
        acting_user=acting_user,
        post=post,
        kind=ModerationAction.Kind.APPROVE,
        allowed_from=(Discussion.Status.HELD, Discussion.Status.HIDDEN),
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
    _require_post_moderator(acting_user, post)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _lock(post)
        open_flags = list(
            Flag.objects.select_for_update()
            .filter(status=Flag.Status.OPEN, **_post_lookup(locked))
            .values_list("pk", flat=True)
        )
        if not open_flags:
            raise _already(locked, "its flags were already decided")
        _check_seen(locked, seen)
        action = _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.DISMISS_FLAGS,
            post=locked,
            community=_log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before={**_post_snapshot(locked), "open_flags": open_flags},
            after=_post_snapshot(locked),
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
    from discussions.markdown import render_markdown

    _require_post_moderator(acting_user, post)
    reason = _clean_reason(reason)
    span = (span or "").strip()
    if len(span) < 2:
        raise ValidationError("Paste the exact text to remove (at least two characters).")
    with transaction.atomic():
        locked = _lock(post)
        if locked.status == Discussion.Status.DELETED:
            raise _already(locked, "its author deleted it")
        title = getattr(locked, "title", "")
        if span not in locked.body and span not in title:
            raise ValidationError("That text does not appear in the post; paste it exactly as written.")
        before = {**_post_snapshot(locked), "body": locked.body}
        if isinstance(locked, Discussion):
            before["title"] = title
            locked.title = title.replace(span, REDACTION_MARK)[:200]
        locked.body = locked.body.replace(span, REDACTION_MARK)
        locked.body_html = render_markdown(locked.body)
        fields = ["body", "body_html"] + (["title"] if isinstance(locked, Discussion) else [])
        locked.save(update_fields=fields)
        for revision in Revision.objects.filter(**_post_lookup(locked)).select_for_update():
            revision.body = revision.body.replace(span, REDACTION_MARK)
            revision.title = revision.title.replace(span, REDACTION_MARK)
            revision.save(update_fields=["body", "title"])
        action = _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.REDACT,
            post=locked,
            community=_log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after={**_post_snapshot(locked), "body": locked.body},
            purge_after=timezone.now() + timedelta(days=REDACTION_RETENTION_DAYS),
        )
        _close_flags(
            locked, acting_user=acting_user, status=Flag.Status.ACTIONED, outcome="A moderator removed personal data."
        )
        if locked.author_id != acting_user.pk:
            _notify(
                locked.author,
                action,
                f"A moderator removed personal data from {_describe(locked)}." + _why(None, reason),
            )
        _announce(locked)
    return action


def moderation_purge_expired(*, now=None) -> int:
    """Forget redacted text whose retention period has passed. Run daily (a management command or cron)."""
    now = now or timezone.now()
    expired = ModerationAction.objects.filter(purge_after__lte=now)
    # .update() on purpose: the row stays, only the kept original goes.
    return expired.update(before={"purged": True}, purge_after=None)


def _toggle(
    *, acting_user: User, discussion: Discussion, attribute: str, value: bool, kind: str, reason: str
) -> ModerationAction:
    if not isinstance(discussion, Discussion):
        raise ValidationError("Only discussions can be locked or pinned.")
    _require_post_moderator(acting_user, discussion)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _lock(discussion)
        if getattr(locked, attribute) == value:
            state = {"is_locked": "locked" if value else "unlocked", "is_pinned": "pinned" if value else "unpinned"}
            raise _already(locked, f"it is already {state[attribute]}")
        before = _post_snapshot(locked)
        setattr(locked, attribute, value)
        locked.save(update_fields=[attribute])
        action = _record(
            acting_user=acting_user,
            kind=kind,
            post=locked,
            community=_log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after=_post_snapshot(locked),
        )
        events.discussion_changed(discussion_id=locked.pk)
    setattr(discussion, attribute, value)
    return action


def discussion_lock(*, acting_user: User, discussion: Discussion, reason: str = "") -> ModerationAction:
    return _toggle(
        acting_user=acting_user,
        discussion=discussion,
        attribute="is_locked",
        value=True,
        kind=ModerationAction.Kind.LOCK,
        reason=reason,
    )


def discussion_unlock(*, acting_user: User, discussion: Discussion, reason: str = "") -> ModerationAction:
    return _toggle(
        acting_user=acting_user,
        discussion=discussion,
        attribute="is_locked",
        value=False,
        kind=ModerationAction.Kind.UNLOCK,
        reason=reason,
    )


def discussion_pin(*, acting_user: User, discussion: Discussion, reason: str = "") -> ModerationAction:
    return _toggle(
        acting_user=acting_user,
        discussion=discussion,
        attribute="is_pinned",
        value=True,
        kind=ModerationAction.Kind.PIN,
        reason=reason,
    )


def discussion_unpin(*, acting_user: User, discussion: Discussion, reason: str = "") -> ModerationAction:
    return _toggle(
        acting_user=acting_user,
        discussion=discussion,
        attribute="is_pinned",
        value=False,
        kind=ModerationAction.Kind.UNPIN,
        reason=reason,
    )


def _check_leaving(acting_user: User, leaving: list[Community]) -> None:
    """Only a community's moderators (or staff) take a discussion out of it."""
    moderated = set(communities_moderated_by(acting_user).values_list("pk", flat=True))
    for community in leaving:
        if community.pk not in moderated:
            raise ValidationError(f"Only the moderators of #{community.slug} can take a discussion out of it.")


def discussion_retag(
    *, acting_user: User, discussion: Discussion, hashtags: list[str], reason: str = ""
) -> ModerationAction:
    """Move a discussion between communities or change its hashtags, audited, the
    author told.

    A moderator of the discussion may take it out of communities they moderate (staff:
    any), and put it only where it could have been posted (``discussions.placement``,
    the rule posting uses): into communities they and its author could post in, a
    private one alone (making it community-only). Refusals are ValidationErrors for
    the form, never a 404.
    """
    _require_post_moderator(acting_user, discussion)
    reason = _clean_reason(reason)
    communities = communities_named(acting_user, hashtags)
    with transaction.atomic():
        locked = _lock(discussion)
        current = list(communities_of(locked))
        current_ids = {community.pk for community in current}
        wanted_ids = {community.pk for community in communities}
        if current_ids == wanted_ids and set(locked.tags.names()) == {c.tag.name for c in communities}:
            raise _already(locked, "it already has these hashtags")
        _check_leaving(acting_user, [community for community in current if community.pk not in wanted_ids])
        placement = placement_for(
            author=locked.author,
            communities=communities,
            visibility=locked.visibility,
            mover=acting_user,
            entering=[community for community in communities if community.pk not in current_ids],
        )
        before = _post_snapshot(locked)
        locked.tags.set([community.tag for community in placement.communities])
        if placement.visibility != locked.visibility:
            # As at posting: a private community's discussions are read by its members only.
            before["visibility"] = locked.visibility
            locked.visibility = placement.visibility
            locked.save(update_fields=["visibility"])
        action = _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.RETAG,
            post=locked,
            community=_log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after={**_post_snapshot(locked), "visibility": locked.visibility},
        )
        if locked.author_id != acting_user.pk:
            _notify(
                locked.author, action, "A moderator moved your discussion or changed its hashtags." + _why(None, reason)
            )
        _announce(locked)
    return action


NARROW_ONLY_MESSAGE = (
    "Moderators and staff can only make a discussion more private. Only its author can open it up to more readers."
)


def discussion_narrow_visibility(
    *, acting_user: User, discussion: Discussion, visibility: str, reason: str = ""
) -> ModerationAction:
    """A moderator or staff member lets fewer people read a discussion.

    Never wider: only the author may widen their own post, after confirming who
    will read it (``discussions.services.discussion_set_visibility``). Like every
    privileged action it needs two-factor sign-in; the view sends those without
    it to set it up, and this refuses any other caller. The author is told, and
    the audience before and after is in the log.
    """
    from accounts.selectors import has_two_factor
    from discussions.search import search_index_update
    from discussions.selectors import is_wider

    _require_post_moderator(acting_user, discussion)
    if not has_two_factor(acting_user):
        raise PermissionDenied("Turn on two-factor sign-in before acting as a moderator.")
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": "Choose who can read this: public, members or community."})
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _lock(discussion)
        if locked.visibility == visibility:
            raise _already(locked, f"it is already “{Visibility(visibility).label}”")
        if is_wider(visibility, locked.visibility):
            raise ValidationError({"visibility": NARROW_ONLY_MESSAGE})
        before = {**_post_snapshot(locked), "visibility": locked.visibility}
        locked.visibility = visibility
        locked.save(update_fields=["visibility"])
        action = _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.VISIBILITY,
            post=locked,
            community=_log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after={**_post_snapshot(locked), "visibility": visibility},
        )
        if locked.author_id != acting_user.pk:
            _notify(
                locked.author,
                action,
                f"A moderator made your discussion more private. Who can read it now: "
                f"{Visibility(visibility).label}." + _why(None, reason),
            )
        # Sockets of readers who lost access re-check and close; search forgets it for them.
        events.discussion_changed(discussion_id=locked.pk)
        transaction.on_commit(partial(search_index_update, locked.pk), robust=True)
    discussion.visibility = visibility
    return action


def post_reveal_author(*, acting_user: User, post: Post, reason: str) -> User | None:
    """Who wrote an anonymous post. Moderators of its communities only; the look is audited."""
    _require_post_moderator(acting_user, post)
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.REVEAL,
            post=post,
            community=_log_community(acting_user, post),
            target_user=post.author,
            reason=reason,
            before={"kind": post_kind(post), "id": post.pk, "is_anonymous": post.is_anonymous},
        )
    return post.author


# --- Actions on members ---------------------------------------------------------------


def _lock_member(acting_user: User, user: User) -> User:
    if user.pk == acting_user.pk:
        raise ValidationError("You can't take this action on your own account.")
    if user.is_staff and not acting_user.is_staff:
        raise PermissionDenied("Only staff can act on a staff account.")
    return User.objects.select_for_update().get(pk=user.pk)


def _until(days: int | None) -> datetime | None:
    if days is None:
        return None
    if days < 1 or days > 3650:
        raise ValidationError("Choose between 1 and 3650 days, or leave it empty for permanent.")
    return timezone.now() + timedelta(days=days)


def _active_sanction(user: User, kind: str, community: Community | None) -> Sanction | None:
    now = timezone.now()
    return (
        Sanction.objects.filter(user=user, kind=kind, community=community, lifted_at__isnull=True)
        .filter(Q(until__isnull=True) | Q(until__gt=now))
        .first()
    )


def _sanction(
    *,
    acting_user: User,
    user: User,
    community: Community | None,
    kind: str,
    action_kind: str,
    days: int | None,
    reason: str,
    guideline: int | None,
    notice: str,
) -> ModerationAction:
    reason = _clean_reason(reason)
    until = _until(days)
    with transaction.atomic():
        target = _lock_member(acting_user, user)
        guideline = _check_guideline(guideline, [community] if community else [])
        if kind != Sanction.Kind.WARNING and _active_sanction(target, kind, community) is not None:
            raise AlreadyHandled(f"Already handled: {target.public_name} is already {kind_label(kind)}.")
        sanction = Sanction.objects.create(
            user=target,
            community=community,
            kind=kind,
            until=until,
            reason=reason,
            guideline=guideline,
            actor=acting_user,
        )
        if kind == Sanction.Kind.BAN:
            Membership.objects.update_or_create(
                user=target, community=community, defaults={"status": Membership.Status.BANNED}
            )
        action = _record(
            acting_user=acting_user,
            kind=action_kind,
            community=community,
            target_user=target,
            guideline=guideline,
            reason=reason,
            after={"sanction_id": sanction.pk, "kind": kind, "until": until.isoformat() if until else None},
        )
        period = f" until {timezone.localtime(until):%d %B %Y}" if until else ""
        _notify(target, action, notice.format(period=period) + _why(guideline, reason))
        if kind in (Sanction.Kind.BAN, Sanction.Kind.SUSPENSION, Sanction.Kind.MUTE):
            events.access_changed(user_id=target.pk)
    return action


def kind_label(kind: str) -> str:
    return {"mute": "muted", "ban": "banned", "suspension": "suspended", "warning": "warned"}.get(kind, kind)


def member_warn(
    *, acting_user: User, user: User, community: Community, reason: str = "", guideline: int | None = None
) -> ModerationAction:
    _require_community_moderator(acting_user, community)
    return _sanction(
        acting_user=acting_user,
        user=user,
        community=community,
        kind=Sanction.Kind.WARNING,
        action_kind=ModerationAction.Kind.WARN,
        days=None,
        reason=reason,
        guideline=guideline,
        notice="A moderator sent you a warning.",
    )


def member_mute(
    *,
    acting_user: User,
    user: User,
    community: Community,
    days: int,
    reason: str = "",
    guideline: int | None = None,
) -> ModerationAction:
    """The member can read the community but not post in it for ``days`` days."""
    _require_community_moderator(acting_user, community)
    if days is None:
        raise ValidationError("Say for how many days.")
    return _sanction(
        acting_user=acting_user,
        user=user,
        community=community,
        kind=Sanction.Kind.MUTE,
        action_kind=ModerationAction.Kind.MUTE,
        days=days,
        reason=reason,
        guideline=guideline,
        notice="A moderator muted you in a community{period}: you can read but not post there.",
    )


def member_ban(
    *,
    acting_user: User,
    user: User,
    community: Community,
    reason: str = "",
    guideline: int | None = None,
    days: int | None = None,
) -> ModerationAction:
    """Ban from one community (permanently unless ``days``); their sockets re-check access at once."""
    _require_community_moderator(acting_user, community)
    return _sanction(
        acting_user=acting_user,
        user=user,
        community=community,
        kind=Sanction.Kind.BAN,
        action_kind=ModerationAction.Kind.BAN,
        days=days,
        reason=reason,
        guideline=guideline,
        notice="A moderator banned you from a community{period}.",
    )


def member_suspend(*, acting_user: User, user: User, reason: str = "", days: int | None = None) -> ModerationAction:
    """Staff only: a site-wide suspension, for ``days`` days or permanently. They can still read."""
    if not (acting_user.is_authenticated and acting_user.is_active and acting_user.is_staff):
        raise PermissionDenied("Only staff can suspend accounts.")
    return _sanction(
        acting_user=acting_user,
        user=user,
        community=None,
        kind=Sanction.Kind.SUSPENSION,
        action_kind=ModerationAction.Kind.SUSPEND,
        days=days,
        reason=reason,
        guideline=None,
        notice="Your account is suspended{period}: you can read, but not post.",
    )


def sanction_lift(*, acting_user: User, sanction: Sanction, reason: str = "") -> ModerationAction:
    if sanction.community is None:
        if not acting_user.is_staff:
            raise PermissionDenied("Only staff can lift a suspension.")
    else:
        _require_community_moderator(acting_user, sanction.community)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if locked.lifted_at is not None:
            raise AlreadyHandled("Already handled: this was already lifted.")
        locked.lifted_at = timezone.now()
        locked.save(update_fields=["lifted_at"])
        if locked.kind == Sanction.Kind.BAN:
            Membership.objects.filter(
                user=locked.user, community=locked.community, status=Membership.Status.BANNED
            ).delete()
        action = _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.LIFT,
            community=locked.community,
            target_user=locked.user,
            reason=reason,
            before={"sanction_id": locked.pk, "kind": locked.kind},
        )
        _notify(locked.user, action, f"A moderator lifted a {locked.get_kind_display().lower()} on your account.")
    return action


# --- Join requests -------------------------------------------------------------------------


def join_request_decide(
    *, acting_user: User, membership: Membership, accept: bool, reason: str = ""
) -> ModerationAction:
    """Accept or decline a request to join, through the communities service, with an audit row."""
    from community.services import membership_request_decide

    _require_community_moderator(acting_user, membership.community)
    reason = _clean_reason(reason)
    user = membership.user
    with transaction.atomic():
        try:
            membership_request_decide(acting_user=acting_user, membership=membership, accept=accept)
        except ValidationError:
            raise AlreadyHandled("Already handled: this request was already decided.") from None
        return _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.JOIN_APPROVE if accept else ModerationAction.Kind.JOIN_DECLINE,
            community=membership.community,
            target_user=user,
            reason=reason,
        )


# --- Flags -----------------------------------------------------------------------------------


def _can_flag(user: User, post: Post) -> bool:
    from discussions.selectors import can_see_discussion, reply_list_visible_to

    discussion = discussion_of(post)
    if not can_see_discussion(user, discussion):
        return False
    if isinstance(post, Reply):
        return reply_list_visible_to(user, discussion).filter(pk=post.pk, status=Reply.Status.PUBLISHED).exists()
    return True


def flag_create(*, flagger: User, post: Post, reason: str, guideline: int | None = None, detail: str = "") -> Flag:
    """A member flags a post they can see. One flag per member per post."""
    if not (flagger.is_authenticated and flagger.is_active):
        raise PermissionDenied("Sign in to flag a post.")
    if not _can_flag(flagger, post):
        raise PermissionDenied("No such post.")
    if reason not in Flag.Reason.values:
        raise ValidationError("Choose a reason.")
    detail = " ".join((detail or "").split())[:500]
    if reason == Flag.Reason.GUIDELINE:
        if not guideline:
            raise ValidationError("Say which guideline it breaks.")
        _check_guideline(guideline, list(communities_of(post)))
    else:
        guideline = None
    if reason == Flag.Reason.OTHER and not detail:
        raise ValidationError("Tell the moderators what is wrong.")
    try:
        with transaction.atomic():
            if reason == Flag.Reason.CRISIS:
                _crisis_alert_on_commit(post, exclude_user_ids=(flagger.pk,))
            return Flag.objects.create(
                flagger=flagger, reason=reason, guideline=guideline, detail=detail, **_post_lookup(post)
            )
    except IntegrityError:
        raise ValidationError(
            "You have already flagged this post. You'll see what the moderators decide under My flags."
        ) from None


# --- Appeals ------------------------------------------------------------------------------------


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
            return Appeal.objects.create(action=action, appellant=appellant, text=text)
    except IntegrityError:
        raise ValidationError("You have already appealed this decision; a moderator will answer it.") from None


def appeal_decide(*, acting_user: User, appeal: Appeal, overturn: bool, reason: str = "") -> ModerationAction:
    """Uphold or overturn. Overturning restores a removed or hidden post, or lifts the sanction."""
    from moderation.selectors import can_decide_on

    if not can_decide_on(acting_user, appeal.action):
        raise PermissionDenied("No such appeal.")
    reason = _clean_reason(reason)
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
        action = _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.APPEAL_OVERTURN if overturn else ModerationAction.Kind.APPEAL_UPHOLD,
            community=original.community,
            target_user=locked.appellant,
            reason=reason,
            before={"appeal_id": locked.pk, "action_id": original.pk},
            after={"status": locked.status},
        )
        verdict = "reversed the decision" if overturn else "reviewed your appeal and the decision stands"
        _notify(locked.appellant, action, f"A moderator {verdict}." + _why(None, reason))
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


# --- Keyword rules --------------------------------------------------------------------------------


def keyword_rule_create(
    *,
    acting_user: User,
    community: Community | None,
    pattern: str,
    is_regex: bool = False,
    action: str = KeywordRule.Action.FLAG,
    message: str = "",
) -> KeywordRule:
    """Moderators add rules for their community; site-wide rules are staff only."""
    if community is None:
        if not acting_user.is_staff:
            raise PermissionDenied("Only staff can add site-wide rules.")
    else:
        _require_community_moderator(acting_user, community)
    with transaction.atomic():
        rule = KeywordRule(
            community=community,
            pattern=pattern.strip(),
            is_regex=is_regex,
            action=action,
            message=message.strip()[:300],
            created_by=acting_user,
        )
        rule.save()
        _record(
            acting_user=acting_user,
            kind=ModerationAction.Kind.KEYWORD_RULE,
            community=community,
            after={"rule_id": rule.pk, "pattern": rule.pattern, "is_regex": is_regex, "action": action},
        )
    return rule


# --- Screening at posting time --------------------------------------------------------------------


@dataclass
class Screening:
    """What the posting-time checks decided about a post that is about to be written."""

    refused: bool = False
    refusal_message: str = ""
    hold: bool = False
    hold_reasons: list[str] = field(default_factory=list)
    # (Flag.Reason, detail) pairs filed as system flags once the post exists.
    flags: list[tuple[str, str]] = field(default_factory=list)
    crisis: bool = False


DEFAULT_REFUSAL = "This post can't be published as written. Please check the community guidelines."


def _posts_by_in(author: User, community: Community) -> int:
    tagged = DiscussionTag.objects.filter(tag_id=community.tag_id).values("content_object_id")
    discussions = Discussion.objects.filter(author=author, pk__in=tagged).count()
    replies = Reply.objects.filter(author=author, discussion_id__in=tagged).count()
    return discussions + replies


def screen_post(*, author: User, communities, title: str = "", body: str) -> Screening:
    """Check a post before it is saved: keyword rules, new-account holds, crisis words.

    Crisis words never refuse or hold a post; they mark it for the top of the
    queue and tell the caller to show the poster crisis resources.
    """
    communities = list(communities)
    text = f"{title}\n{body}"[:MAX_SCREENED_CHARS]
    screening = Screening()

    rules = KeywordRule.objects.filter(Q(community__isnull=True) | Q(community__in=communities)).order_by("pk")
    for rule in rules:
        try:
            matcher = compile_keyword_pattern(rule.pattern, is_regex=rule.is_regex)
        except ValidationError:
            logger.warning("keyword rule %s is not safe and was skipped", rule.pk)
            continue
        if matcher.search(text) is None:
            continue
        if rule.action == KeywordRule.Action.REFUSE:
            screening.refused = True
            screening.refusal_message = rule.message or DEFAULT_REFUSAL
            return screening
        if rule.action == KeywordRule.Action.HOLD:
            screening.hold = True
            screening.hold_reasons.append("keyword rule")
            screening.flags.append((Flag.Reason.OTHER, f"Held by keyword rule {rule.pk}: {rule.pattern}"[:500]))
        else:
            screening.flags.append((Flag.Reason.OTHER, f"Keyword rule {rule.pk}: {rule.pattern}"[:500]))

    now = timezone.now()
    for community in communities:
        holds, days = community.new_account_hold_posts, community.new_account_days
        if not holds or not days or author.date_joined <= now - timedelta(days=days):
            continue
        if _posts_by_in(author, community) < holds:
            screening.hold = True
            screening.hold_reasons.append("new account")
            break

    matches = find_crisis_phrases(text)
    if matches:
        screening.crisis = True
        phrases = ", ".join(sorted({match.phrase for match in matches}))
        screening.flags.append((Flag.Reason.CRISIS, f"Crisis words: {phrases}"[:500]))
    return screening


def screening_record(*, post: Post, screening: Screening) -> list[Flag]:
    """File the screening's system flags for a post just created (call in the same
    transaction); crisis words also alert the moderators once it commits."""
    if any(reason == Flag.Reason.CRISIS for reason, _ in screening.flags):
        _crisis_alert_on_commit(post)
    return [
        Flag.objects.create(flagger=None, reason=reason, detail=detail, **_post_lookup(post))
        for reason, detail in screening.flags
    ]


# --- Crisis alerts ----------------------------------------------------------------------------------


def _crisis_alert_on_commit(post: Post, *, exclude_user_ids: tuple[int, ...] = ()) -> None:
    """Alert the moderators after the flag commits, unless a crisis item on this post
    already waits (its alert went out; a second ring for the same item is noise).
    Call before creating the new crisis flag, inside its transaction."""
    if Flag.objects.filter(status=Flag.Status.OPEN, reason=Flag.Reason.CRISIS, **_post_lookup(post)).exists():
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
    from notifications.services import notify_crisis_alert

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
