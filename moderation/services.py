"""Moderation actions on a discussion as a whole: lock and pin it, move it between
communities (re-tag), and let fewer people read it. Each is audited
(``moderation.audit``); the author is told where the action concerns their words.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from accounts.selectors import has_two_factor
from community.hashtags import InvalidHashtag, normalise_hashtag
from community.models import Community, Membership
from discussions import events
from discussions.models import Discussion, Visibility
from discussions.search import search_index_update
from discussions.selectors import is_wider

# The functions below keep the private names they had when the shared steps lived in this
# module: discussion_retag is being moved onto the one placement rule (issue 17) and keeps
# its body as it is until then. Elsewhere these steps go by their names in moderation.audit.
from moderation.audit import already_handled as _already
from moderation.audit import announce_change as _announce
from moderation.audit import clean_reason as _clean_reason
from moderation.audit import lock_post as _lock
from moderation.audit import log_community as _log_community
from moderation.audit import notify_member as _notify
from moderation.audit import post_snapshot as _post_snapshot
from moderation.audit import reason_suffix as _why
from moderation.audit import record_action as _record
from moderation.audit import require_post_moderator as _require_post_moderator
from moderation.models import ModerationAction
from moderation.selectors import communities_moderated_by, communities_of
from spoonful import jobs

# As at posting (discussions.services.MAX_HASHTAGS).
MAX_HASHTAGS = 5


# --- Lock and pin -------------------------------------------------------------------------


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


# --- Re-tag -------------------------------------------------------------------------------


def _communities_named(acting_user: User, raw: list[str]) -> list[Community]:
    """The communities a moderator's hashtags name (aliases resolved), as at posting:
    every hashtag must be a community they may know of; a private one they are not in
    reads exactly like a missing one."""
    from community.selectors import community_resolve

    communities: dict[int, Community] = {}
    unknown: list[str] = []
    for item in raw:
        try:
            name = normalise_hashtag(item)
        except InvalidHashtag as error:
            raise ValidationError(str(error)) from None
        community = community_resolve(name, viewer=acting_user)
        if community is None:
            unknown.append(f"#{name}")
        else:
            communities.setdefault(community.pk, community)
    if unknown:
        raise ValidationError(f"There is no community for {', '.join(dict.fromkeys(unknown))}. Check the spelling.")
    if not communities:
        raise ValidationError("A discussion needs at least one community hashtag.")
    if len(communities) > MAX_HASHTAGS:
        raise ValidationError(f"A discussion can sit in at most {MAX_HASHTAGS} communities.")
    return list(communities.values())


def _check_move(acting_user: User, *, leaving: list[Community], entering: list[Community], final) -> None:
    """The placement rules of posting, applied to the moderator who moves a discussion."""
    moderated = set(communities_moderated_by(acting_user).values_list("pk", flat=True))
    for community in leaving:
        if community.pk not in moderated:
            raise ValidationError(f"Only the moderators of #{community.slug} can take a discussion out of it.")
    memberships = {
        membership.community_id: membership
        for membership in Membership.objects.filter(user=acting_user, community__in=entering)
    }
    for community in entering:
        membership = memberships.get(community.pk)
        if membership is not None and membership.is_banned:
            raise ValidationError(f"You cannot move a discussion into #{community.slug}: you are banned there.")
        gated = community.policy != Community.Policy.OPEN or community.professionals_only
        is_member = membership is not None and membership.is_active
        if gated and not acting_user.is_staff and not is_member and community.pk not in moderated:
            raise ValidationError(f"Only members of #{community.slug} can post there, so you cannot move it there.")
    private = [community for community in final if community.is_private]
    if private and len(final) > 1:
        raise ValidationError(
            f"#{private[0].slug} is a private community: a discussion there cannot also be in other communities."
        )


def discussion_retag(
    *, acting_user: User, discussion: Discussion, hashtags: list[str], reason: str = ""
) -> ModerationAction:
    """Move a discussion between communities or change its hashtags, audited, the
    author told.

    A moderator of the discussion may, under the placement rules of posting: take it
    out of communities they moderate (staff: any); put it into communities they could
    post in themselves (not a private or members-only one they are not in, not one
    that banned them); a private community holds it alone and makes it community-only.
    Refusals are ValidationErrors for the form, never a 404.
    """
    _require_post_moderator(acting_user, discussion)
    reason = _clean_reason(reason)
    communities = _communities_named(acting_user, hashtags)
    with transaction.atomic():
        locked = _lock(discussion)
        current = list(communities_of(locked))
        current_ids = {community.pk for community in current}
        wanted_ids = {community.pk for community in communities}
        if current_ids == wanted_ids and set(locked.tags.names()) == {c.tag.name for c in communities}:
            raise _already(locked, "it already has these hashtags")
        _check_move(
            acting_user,
            leaving=[community for community in current if community.pk not in wanted_ids],
            entering=[community for community in communities if community.pk not in current_ids],
            final=communities,
        )
        before = _post_snapshot(locked)
        locked.tags.set([community.tag for community in communities])
        if any(community.is_private for community in communities) and locked.visibility != Visibility.COMMUNITY:
            # As at posting: a private community's discussions are read by its members only.
            before["visibility"] = locked.visibility
            locked.visibility = Visibility.COMMUNITY
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
        jobs.enqueue(search_index_update, locked.pk)
    discussion.visibility = visibility
    return action
