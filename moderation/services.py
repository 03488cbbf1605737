"""Moderation actions on a discussion as a whole: lock and pin it, move it between
communities (re-tag, under the placement rule of posting), and let fewer people read it. Each is audited
(``moderation.audit``); the author is told where the action concerns their words.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from accounts.selectors import has_two_factor
from community.models import Community
from discussions import events
from discussions.models import Discussion, Visibility
from discussions.placement import communities_named, placement_for
from discussions.search import search_index_update
from discussions.selectors import is_wider
from moderation.audit import (
    already_handled,
    announce_change,
    clean_reason,
    lock_post,
    log_community,
    notify_member,
    post_snapshot,
    reason_suffix,
    record_action,
    require_post_moderator,
)
from moderation.models import ModerationAction
from moderation.selectors import communities_moderated_by, communities_of
from spoonful import jobs

# --- Lock and pin -------------------------------------------------------------------------


def _toggle(
    *, acting_user: User, discussion: Discussion, attribute: str, value: bool, kind: str, reason: str
) -> ModerationAction:
    if not isinstance(discussion, Discussion):
        raise ValidationError("Only discussions can be locked or pinned.")
    require_post_moderator(acting_user, discussion)
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = lock_post(discussion)
        if getattr(locked, attribute) == value:
            state = {"is_locked": "locked" if value else "unlocked", "is_pinned": "pinned" if value else "unpinned"}
            raise already_handled(locked, f"it is already {state[attribute]}")
        before = post_snapshot(locked)
        setattr(locked, attribute, value)
        locked.save(update_fields=[attribute])
        action = record_action(
            acting_user=acting_user,
            kind=kind,
            post=locked,
            community=log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after=post_snapshot(locked),
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


# --- Re-tag -------------------------------------------------------------------------------


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
    require_post_moderator(acting_user, discussion)
    reason = clean_reason(reason)
    communities = communities_named(acting_user, hashtags)
    with transaction.atomic():
        locked = lock_post(discussion)
        current = list(communities_of(locked))
        current_ids = {community.pk for community in current}
        wanted_ids = {community.pk for community in communities}
        if current_ids == wanted_ids and set(locked.tags.names()) == {c.tag.name for c in communities}:
            raise already_handled(locked, "it already has these hashtags")
        _check_leaving(acting_user, [community for community in current if community.pk not in wanted_ids])
        placement = placement_for(
            author=locked.author,
            communities=communities,
            visibility=locked.visibility,
            mover=acting_user,
            entering=[community for community in communities if community.pk not in current_ids],
        )
        before = post_snapshot(locked)
        locked.tags.set([community.tag for community in placement.communities])
        if placement.visibility != locked.visibility:
            # As at posting: a private community's discussions are read by its members only.
            before["visibility"] = locked.visibility
            locked.visibility = placement.visibility
            locked.save(update_fields=["visibility"])
        action = record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.RETAG,
            post=locked,
            community=log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after={**post_snapshot(locked), "visibility": locked.visibility},
        )
        if locked.author_id != acting_user.pk:
            notify_member(
                locked.author,
                action,
                "A moderator moved your discussion or changed its hashtags." + reason_suffix(None, reason),
            )
        announce_change(locked)
    return action


# --- Narrowing who can read ---------------------------------------------------------------


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
    require_post_moderator(acting_user, discussion)
    if not has_two_factor(acting_user):
        raise PermissionDenied("Turn on two-factor sign-in before acting as a moderator.")
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": "Choose who can read this: public, members or community."})
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = lock_post(discussion)
        if locked.visibility == visibility:
            raise already_handled(locked, f"it is already “{Visibility(visibility).label}”")
        if is_wider(visibility, locked.visibility):
            raise ValidationError({"visibility": NARROW_ONLY_MESSAGE})
        before = {**post_snapshot(locked), "visibility": locked.visibility}
        locked.visibility = visibility
        locked.save(update_fields=["visibility"])
        action = record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.VISIBILITY,
            post=locked,
            community=log_community(acting_user, locked),
            target_user=locked.author,
            reason=reason,
            before=before,
            after={**post_snapshot(locked), "visibility": visibility},
        )
        if locked.author_id != acting_user.pk:
            notify_member(
                locked.author,
                action,
                f"A moderator made your discussion more private. Who can read it now: "
                f"{Visibility(visibility).label}." + reason_suffix(None, reason),
            )
        # Sockets of readers who lost access re-check and close; search forgets it for them.
        events.discussion_changed(discussion_id=locked.pk)
        jobs.enqueue(search_index_update, locked.pk)
    discussion.visibility = visibility
    return action
