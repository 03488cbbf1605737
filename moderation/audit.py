"""The steps every moderation action shares: the actor's right to act, the reason, the
post's lock and snapshot, the audit row, the member's notice, and what a changed post
announces once the change commits.

Every action takes ``acting_user``, checks their right itself (``PermissionDenied``,
which views answer with 404) and writes one ``ModerationAction`` row in the same
transaction as the change, so there is never a change without its audit entry.

Two moderators acting on the same item: each action locks the row it changes
(``select_for_update``) and re-checks its state under the lock. The first one
wins; the second gets ``AlreadyHandled`` saying what happened, and nothing of it
is written. (SQLite ignores the lock but serialises writers anyway.)
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import User
from community.models import Community
from discussions import events
from discussions.models import Discussion, Reply
from discussions.search import search_index_update
from moderation.models import ModerationAction, ModerationNotice
from moderation.selectors import can_moderate_post, communities_of, moderation_scope_for, post_kind
from notifications.models import Notification
from notifications.services import notify, notify_discussion_created, notify_reply_created
from spoonful import jobs

Post = Discussion | Reply
MAX_REASON_LENGTH = 500


class AlreadyHandled(Exception):
    """Another moderator got there first (or the item is already in the asked-for state)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- The right to act and the reason ------------------------------------------------------


def require_post_moderator(acting_user: User, post: Post) -> None:
    if not can_moderate_post(acting_user, post):
        raise PermissionDenied("Only moderators of this post's communities can do that.")


def require_community_moderator(acting_user: User, community: Community) -> None:
    if not moderation_scope_for(acting_user).moderates(community):
        raise PermissionDenied("Only this community's moderators can do that.")


def acting_role(acting_user: User) -> str:
    """The role an actor acts in, as the log shows it beside their name."""
    return "staff" if acting_user.is_staff else "community moderator"


def clean_reason(reason: str, *, required: bool = False) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"Keep the reason under {MAX_REASON_LENGTH} characters.")
    if required and not reason:
        raise ValidationError("Give a reason; it is kept in the audit log.")
    return reason


def check_guideline(guideline: int | None, communities: list[Community]) -> int | None:
    if guideline is None:
        return None
    if guideline < 1 or not any(community.guideline(guideline) for community in communities):
        if communities and any(community.guideline_list() for community in communities):
            raise ValidationError(f"There is no guideline {guideline} in this community.")
        if guideline < 1:
            raise ValidationError("Guideline numbers start at 1.")
    return guideline


# --- The post acted on --------------------------------------------------------------------


def post_lookup(post: Post) -> dict:
    return {"reply": post} if isinstance(post, Reply) else {"discussion": post}


def post_snapshot(post: Post) -> dict:
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


def lock_post(post: Post) -> Post:
    model = type(post)
    queryset = model.objects.select_for_update()
    locked = queryset.get(pk=post.pk)
    if isinstance(locked, Reply):
        # Not locked, only read: the counters are updated with F() expressions.
        locked.discussion = Discussion.objects.get(pk=locked.discussion_id)
    return locked


def already_handled(post: Post, what: str) -> AlreadyHandled:
    last = ModerationAction.objects.filter(**post_lookup(post)).select_related("actor").order_by("-created_at").first()
    if last is not None and last.actor is not None:
        when = timezone.localtime(last.created_at)
        return AlreadyHandled(
            f"Already handled: {what} ({last.get_kind_display().lower()} by {last.actor.public_name} at {when:%H:%M})."
        )
    return AlreadyHandled(f"Already handled: {what}.")


def announce_change(post: Post, *, first_publication: bool = False) -> None:
    """The live update (after commit), and jobs queued with the change: the search index and,
    on first publication, notifications."""
    discussion_id = post.discussion_id if isinstance(post, Reply) else post.pk
    jobs.enqueue(search_index_update, discussion_id)
    if isinstance(post, Reply):
        if first_publication:
            events.reply_created(discussion_id=post.discussion_id, number=post.number)
            jobs.enqueue(notify_reply_created, post.pk)
        else:
            events.reply_changed(discussion_id=post.discussion_id, number=post.number)
    else:
        events.discussion_changed(discussion_id=post.pk)
        if first_publication:
            jobs.enqueue(notify_discussion_created, post.pk)


# --- The audit row and the member told ----------------------------------------------------


def log_community(acting_user: User, post: Post) -> Community | None:
    """The community an action on a post is filed under: one the actor moderates, if any."""
    communities = communities_of(post)
    theirs = moderation_scope_for(acting_user).communities
    mine = communities.filter(pk__in=theirs.values("pk")).order_by("slug").first()
    return mine or communities.order_by("slug").first()


def record_action(
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


def _notices_path() -> str:
    try:
        return reverse("moderation:notices")
    except NoReverseMatch:
        return "/mod/notices/"


def notify_member(user: User | None, action: ModerationAction, message: str) -> ModerationNotice | None:
    """Tell a member: a notice they can appeal from, and a notification (bell and,
    by their preference, an email). Neither the notification nor its email names
    the post, the community (a condition hashtag is health data) or the reason;
    the member reads those on the notices page after signing in.
    """
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


def reason_suffix(guideline: int | None, reason: str) -> str:
    parts = []
    if guideline:
        parts.append(f"guideline {guideline}")
    if reason:
        parts.append(reason)
    return (" Reason: " + "; ".join(parts) + ".") if parts else ""
