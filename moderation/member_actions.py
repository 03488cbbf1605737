"""Moderation actions on members: warn, mute and ban in a community, suspend site-wide
(staff), lift any of them, and decide a request to join. Each is audited and the member
told (``moderation.audit``); a ban, mute or suspension makes their sockets re-check.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from community.models import Community, Membership
from community.services import membership_request_decide
from discussions import events
from moderation.audit import (
    AlreadyHandled,
    check_guideline,
    clean_reason,
    notify_member,
    reason_suffix,
    record_action,
    require_community_moderator,
)
from moderation.models import MemberNote, ModerationAction, Sanction

# --- Sanctions ----------------------------------------------------------------------------


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
    reason = clean_reason(reason)
    until = _until(days)
    with transaction.atomic():
        target = _lock_member(acting_user, user)
        guideline = check_guideline(guideline, [community] if community else [])
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
        action = record_action(
            acting_user=acting_user,
            kind=action_kind,
            community=community,
            target_user=target,
            guideline=guideline,
            reason=reason,
            after={"sanction_id": sanction.pk, "kind": kind, "until": until.isoformat() if until else None},
        )
        period = f" until {timezone.localtime(until):%d %B %Y}" if until else ""
        notify_member(target, action, notice.format(period=period) + reason_suffix(guideline, reason))
        if kind in (Sanction.Kind.BAN, Sanction.Kind.SUSPENSION, Sanction.Kind.MUTE):
            events.access_changed(user_id=target.pk)
    return action


def kind_label(kind: str) -> str:
    return {"mute": "muted", "ban": "banned", "suspension": "suspended", "warning": "warned"}.get(kind, kind)


def member_warn(
    *, acting_user: User, user: User, community: Community, reason: str = "", guideline: int | None = None
) -> ModerationAction:
    require_community_moderator(acting_user, community)
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
    require_community_moderator(acting_user, community)
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
    require_community_moderator(acting_user, community)
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
        require_community_moderator(acting_user, sanction.community)
    reason = clean_reason(reason)
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
        action = record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.LIFT,
            community=locked.community,
            target_user=locked.user,
            reason=reason,
            before={"sanction_id": locked.pk, "kind": locked.kind},
        )
        notify_member(locked.user, action, f"A moderator lifted the {locked.kind} on your account.")
    return action


# --- Member notes -------------------------------------------------------------------------


def member_note_add(*, acting_user: User, member: User, community: Community, text: str) -> MemberNote:
    """A private note about a member in a community the actor moderates. Append-only, with
    its author and time; the member is not told (they can read it in their data export)."""
    require_community_moderator(acting_user, community)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError("Write the note first.")
    if len(text) > MemberNote.MAX_LENGTH:
        raise ValidationError(f"Keep the note under {MemberNote.MAX_LENGTH} characters.")
    if member.pk == acting_user.pk:
        raise ValidationError("You can't keep a note about yourself.")
    return MemberNote.objects.create(community=community, member=member, author=acting_user, text=text)


# --- Join requests ------------------------------------------------------------------------


def join_request_decide(
    *, acting_user: User, membership: Membership, accept: bool, reason: str = ""
) -> ModerationAction:
    """Accept or decline a request to join, through the communities service, with an audit row."""
    require_community_moderator(acting_user, membership.community)
    reason = clean_reason(reason)
    user = membership.user
    with transaction.atomic():
        try:
            membership_request_decide(acting_user=acting_user, membership=membership, accept=accept)
        except ValidationError:
            raise AlreadyHandled("Already handled: this request was already decided.") from None
        return record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.JOIN_APPROVE if accept else ModerationAction.Kind.JOIN_DECLINE,
            community=membership.community,
            target_user=user,
            reason=reason,
        )
