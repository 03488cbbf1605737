"""Writes about communities: creating them, membership, moderators and aliases.

Every service takes the acting member explicitly and checks their right to act
itself, so a view (or a management command, or a test) cannot forget to.
Refusals a member can fix or understand are ``ValidationError`` with a readable
message; acting without the right is ``PermissionDenied`` (views answer 404).
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from taggit.models import Tag

from accounts.models import User
from accounts.selectors import is_signed_in_member, is_site_staff, is_verified_professional
from community.hashtags import InvalidHashtag, normalise_hashtag
from community.models import Community, CommunityAlias, Membership
from community.selectors import community_list_visible_to, is_community_moderator
from discussions import events
from discussions.models import DiscussionTag
from moderation.audit import acting_role, record_action
from moderation.models import ModerationAction
from moderation.selectors import guideline_highest_under_appeal
from notifications.models import Notification
from notifications.services import notify

audit_log = logging.getLogger("community.audit")

# Paths under /c/ that a community hashtag must not shadow.
RESERVED_SLUGS = frozenset({"new", "autocomplete"})


def _require_moderator(acting_user: User, community: Community) -> None:
    if not is_community_moderator(acting_user, community):
        raise PermissionDenied("Only this community's moderators can do that.")


def _hashtag_taken_reason(hashtag: str, *, viewer: User | None = None) -> str | None:
    """Why a hashtag cannot name a new community or alias, or None when it is free.

    With ``viewer``, a name held by a private community (or one of its aliases) that
    the viewer may not know of gets a reason that does not say what holds it.
    """
    if hashtag in RESERVED_SLUGS:
        return f"#{hashtag} is reserved by the site."
    if viewer is not None and _held_out_of_sight(viewer, hashtag):
        return f"#{hashtag} is not available."
    if Community.objects.filter(slug=hashtag).exists():
        return f"#{hashtag} is already a community."
    if CommunityAlias.objects.filter(name=hashtag, status=CommunityAlias.Status.ACCEPTED).exists():
        return f"#{hashtag} is already another name for a community."
    return None


def _held_out_of_sight(viewer: User, hashtag: str) -> bool:
    """Whether the name belongs to a community (by its hashtag or an accepted alias)
    that the viewer may not know exists: a private one they are not part of."""
    holders = Community.objects.filter(
        Q(slug=hashtag) | Q(aliases__name=hashtag, aliases__status=CommunityAlias.Status.ACCEPTED)
    )
    return holders.exclude(pk__in=community_list_visible_to(viewer).values("pk")).exists()


# --- Communities -------------------------------------------------------------


@transaction.atomic
def community_create(
    *,
    acting_user: User,
    slug: str,
    name: str,
    description: str = "",
    guidelines: str = "",
    policy: str = Community.Policy.OPEN,
    professionals_only: bool = False,
    icd11_code: str = "",
    orpha_code: str = "",
) -> Community:
    """Create a community and the canonical tag its discussions carry. Staff only."""
    if not is_site_staff(acting_user):
        raise PermissionDenied("Only staff can create communities.")
    try:
        hashtag = normalise_hashtag(slug)
    except InvalidHashtag as error:
        raise ValidationError({"slug": str(error)}) from error
    taken = _hashtag_taken_reason(hashtag)
    if taken:
        raise ValidationError({"slug": taken})
    if policy not in Community.Policy.values:
        raise ValidationError({"policy": "Choose open, by approval, or private."})

    tag = Tag.objects.filter(name=hashtag).first()
    if tag is None:
        tag = Tag.objects.create(name=hashtag, slug=hashtag)
    community = Community(
        slug=hashtag,
        tag=tag,
        name=name.strip(),
        description=description.strip(),
        guidelines=guidelines.strip(),
        policy=policy,
        professionals_only=professionals_only,
        icd11_code=icd11_code.strip(),
        orpha_code=orpha_code.strip(),
    )
    community.full_clean(exclude=["tag"])
    community.save()
    audit_log.info("community %s created by user %s", community.pk, acting_user.pk)
    return community


# --- Membership --------------------------------------------------------------


def _membership_locked(user: User, community: Community) -> Membership | None:
    return Membership.objects.select_for_update().filter(user=user, community=community).first()


@transaction.atomic
def membership_join(*, user: User, community: Community) -> Membership:
    """Join, ask to join, or accept an invitation, as the community's policy says.

    Open: active at once. Approval: a request a moderator decides. Private: only
    an invitation can be accepted. Professionals-only: verified professionals only.
    Joining twice returns the existing membership unchanged.
    """
    if not is_signed_in_member(user):
        raise PermissionDenied("Sign in to join a community.")
    membership = _membership_locked(user, community)
    if membership is not None and membership.is_banned:
        raise ValidationError("You can't take part in this community.")
    if membership is not None and membership.status in (Membership.Status.ACTIVE, Membership.Status.REQUESTED):
        return membership
    if community.professionals_only and not is_verified_professional(user):
        raise ValidationError("Only verified health professionals can join this community.")

    if membership is not None and membership.status == Membership.Status.INVITED:
        membership.status = Membership.Status.ACTIVE
        membership.save(update_fields=["status", "updated_at"])
        return membership
    if community.policy == Community.Policy.PRIVATE:
        raise ValidationError("This community is by invitation only.")
    status = Membership.Status.ACTIVE if community.policy == Community.Policy.OPEN else Membership.Status.REQUESTED
    try:
        with transaction.atomic():
            return Membership.objects.create(user=user, community=community, status=status)
    except IntegrityError:
        # A double click raced us to it; the first request's membership stands.
        return Membership.objects.get(user=user, community=community)


@transaction.atomic
def membership_leave(*, user: User, community: Community) -> None:
    """Leave, withdraw a request, or decline an invitation. A ban stays in place."""
    membership = _membership_locked(user, community) if user.is_authenticated else None
    if membership is None:
        return
    if membership.is_banned:
        raise ValidationError("A ban from this community can only be lifted by its moderators.")
    membership.delete()
    events.access_changed(user_id=user.pk)


@transaction.atomic
def membership_request_decide(*, acting_user: User, membership: Membership, accept: bool) -> Membership | None:
    """A moderator accepts (the member becomes active) or declines (the request is dropped)."""
    _require_moderator(acting_user, membership.community)
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if membership.status != Membership.Status.REQUESTED:
        raise ValidationError("This request has already been decided.")
    audit_log.info("join request %s %s by user %s", membership.pk, "accepted" if accept else "declined", acting_user.pk)
    _tell_requester(membership, accepted=accept)
    if accept:
        membership.status = Membership.Status.ACTIVE
        membership.save(update_fields=["status", "updated_at"])
        return membership
    user_id = membership.user_id
    membership.delete()
    events.access_changed(user_id=user_id)
    return None


def _tell_requester(membership: Membership, *, accepted: bool) -> None:
    outcome = "accepted" if accepted else "declined"
    notify(
        membership.user,
        Notification.Kind.JOIN_REQUEST_DECISION,
        # The community's name stays out: a condition hashtag is health data, and this may be emailed.
        message=f"Your request to join a community was {outcome}.",
        url=membership.community.get_absolute_url(),
    )


@transaction.atomic
def membership_invite(*, acting_user: User, community: Community, user: User) -> Membership:
    """A moderator invites a member; the invitee accepts by joining."""
    _require_moderator(acting_user, community)
    if not user.is_active:
        raise ValidationError("That account is not active.")
    membership = _membership_locked(user, community)
    if membership is None:
        membership = Membership.objects.create(
            user=user, community=community, status=Membership.Status.INVITED, invited_by=acting_user
        )
    elif membership.status == Membership.Status.REQUESTED:
        # They asked to join and a moderator wants them: that is an acceptance.
        membership.status = Membership.Status.ACTIVE
        membership.invited_by = acting_user
        membership.save(update_fields=["status", "invited_by", "updated_at"])
    elif membership.status == Membership.Status.ACTIVE:
        raise ValidationError(f"{user.public_name} is already a member.")
    elif membership.is_banned:
        raise ValidationError(f"{user.public_name} is banned from this community.")
    audit_log.info("user %s invited to community %s by user %s", user.pk, community.pk, acting_user.pk)
    return membership


@transaction.atomic
def membership_remove(*, acting_user: User, membership: Membership) -> None:
    """A moderator removes a member (or withdraws an invitation).

    Moderators are removed by staff only, so moderators of one community cannot
    push each other out.
    """
    community = membership.community
    _require_moderator(acting_user, community)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.user_id == acting_user.pk:
        raise ValidationError("To leave the community yourself, use Leave.")
    if membership.role == Membership.Role.MODERATOR and not is_site_staff(acting_user):
        raise ValidationError("Only staff can remove a moderator.")
    if membership.is_banned:
        raise ValidationError("This member is banned; lift the ban instead.")
    user_id = membership.user_id
    membership.delete()
    audit_log.info("user %s removed from community %s by user %s", user_id, community.pk, acting_user.pk)
    events.access_changed(user_id=user_id)


@transaction.atomic
def moderator_appoint(*, acting_user: User, community: Community, user: User, members_only: bool = False) -> Membership:
    """Staff make a member (or anyone active) a moderator of one community.

    ``members_only`` refuses anyone who is not already an active member (the staff
    screen asks for that: appointing a stranger by a mistyped username would give
    them a community they never chose). Audited with the acting role; the new
    moderator is told.
    """
    if not is_site_staff(acting_user):
        raise PermissionDenied("Only staff can appoint moderators.")
    if not user.is_active:
        raise ValidationError("That account is not active.")
    membership = _membership_locked(user, community)
    if membership is not None and membership.is_banned:
        raise ValidationError(f"{user.public_name} is banned from this community.")
    if members_only and (membership is None or not membership.is_active):
        raise ValidationError(f"{user.public_name} is not a member of #{community.slug}; they need to join first.")
    if membership is not None and membership.is_moderator:
        raise ValidationError(f"{user.public_name} is already a moderator of #{community.slug}.")
    before = _role_state(membership)
    if membership is None:
        membership = Membership(user=user, community=community)
    membership.status = Membership.Status.ACTIVE
    membership.role = Membership.Role.MODERATOR
    membership.save()
    _record_role_change(acting_user, membership, ModerationAction.Kind.MODERATOR_APPOINT, before)
    notify(
        user,
        Notification.Kind.ROLE_CHANGE,
        # As with join requests, no community name: it is health data and this may be emailed.
        message="You are now a moderator of a community. Your moderation tools are on the Moderation page.",
        url=reverse("moderation:queue"),
    )
    audit_log.info("user %s appointed moderator of community %s by user %s", user.pk, community.pk, acting_user.pk)
    return membership


@transaction.atomic
def moderator_dismiss(*, acting_user: User, membership: Membership) -> Membership:
    """Staff return a moderator to an ordinary member. Audited; the member is told."""
    if not is_site_staff(acting_user):
        raise PermissionDenied("Only staff can dismiss moderators.")
    membership = (
        Membership.objects.select_for_update(of=("self",)).select_related("user", "community").get(pk=membership.pk)
    )
    if membership.role != Membership.Role.MODERATOR:
        raise ValidationError("This member is not a moderator.")
    before = _role_state(membership)
    membership.role = Membership.Role.MEMBER
    membership.save(update_fields=["role", "updated_at"])
    _record_role_change(acting_user, membership, ModerationAction.Kind.MODERATOR_DISMISS, before)
    notify(
        membership.user,
        Notification.Kind.ROLE_CHANGE,
        message="You are no longer a moderator of one of your communities. You remain a member of it.",
        url=membership.community.get_absolute_url(),
    )
    audit_log.info("moderator membership %s dismissed by user %s", membership.pk, acting_user.pk)
    events.access_changed(user_id=membership.user_id)
    return membership


def _role_state(membership: Membership | None) -> dict:
    if membership is None:
        return {"membership": "none"}
    return {"status": membership.status, "membership_role": membership.role}


def _record_role_change(acting_user: User, membership: Membership, kind: str, before: dict) -> None:
    ModerationAction.objects.create(
        actor=acting_user,
        kind=kind,
        community=membership.community,
        target_user=membership.user,
        before=before,
        after={**_role_state(membership), "role": "staff"},
    )


@transaction.atomic
def community_set_policy(
    *, acting_user: User, community: Community, policy: str, professionals_only: bool | None = None
) -> Community:
    """Staff change who may join (and, for private communities, who may read).

    Writes a moderation log row with the acting member. Whoever may no longer read
    loses their open sockets: every discussion in the community is announced as
    changed, so its readers re-check, signed-out visitors included.
    ``professionals_only`` None leaves that setting as it is.
    """
    if not is_site_staff(acting_user):
        raise PermissionDenied("Only staff can change a community's policy.")
    if policy not in Community.Policy.values:
        raise ValidationError({"policy": "Choose open, by approval or private."})
    community = Community.objects.select_for_update().get(pk=community.pk)
    before = {"policy": community.policy, "professionals_only": community.professionals_only}
    community.policy = policy
    if professionals_only is not None:
        community.professionals_only = professionals_only
    after = {"policy": community.policy, "professionals_only": community.professionals_only}
    if after == before:
        return community
    community.save(update_fields=["policy", "professionals_only"])
    ModerationAction.objects.create(
        actor=acting_user, kind=ModerationAction.Kind.POLICY, community=community, before=before, after=after
    )
    for discussion_id in DiscussionTag.objects.filter(tag_id=community.tag_id).values_list(
        "content_object_id", flat=True
    ):
        events.discussion_changed(discussion_id=discussion_id)
    return community


# --- Aliases -------------------------------------------------------------------


@transaction.atomic
def alias_propose(*, acting_user: User, community: Community, name: str) -> CommunityAlias:
    """An active member proposes another hashtag for the community's condition."""
    is_member = Membership.objects.filter(
        user_id=acting_user.pk, community=community, status=Membership.Status.ACTIVE
    ).exists()
    if not (is_member or is_community_moderator(acting_user, community)):
        raise PermissionDenied("Only members can propose another name.")
    try:
        hashtag = normalise_hashtag(name)
    except InvalidHashtag as error:
        raise ValidationError({"name": str(error)}) from error
    # Refusing a name a hidden private community holds would confirm that it exists.
    # Such a proposal is taken like any other, then declined at once, so the member
    # sees exactly what a free name gives and no moderator is asked to decide it.
    hidden = _held_out_of_sight(acting_user, hashtag)
    taken = None if hidden else _hashtag_taken_reason(hashtag)
    if taken:
        raise ValidationError({"name": taken})
    if CommunityAlias.objects.filter(community=community, name=hashtag).exists():
        raise ValidationError({"name": f"#{hashtag} has already been proposed for this community."})
    status = CommunityAlias.Status.DECLINED if hidden else CommunityAlias.Status.PROPOSED
    try:
        with transaction.atomic():
            alias = CommunityAlias.objects.create(
                community=community, name=hashtag, proposed_by=acting_user, status=status
            )
    except IntegrityError as error:
        raise ValidationError({"name": f"#{hashtag} has already been proposed for this community."}) from error
    if hidden:
        audit_log.info("alias %s declined on proposal: the name is taken", alias.pk)
    return alias


@transaction.atomic
def alias_decide(*, acting_user: User, alias: CommunityAlias, accept: bool) -> CommunityAlias:
    """A moderator of the alias's community accepts or declines the proposal."""
    _require_moderator(acting_user, alias.community)
    alias = CommunityAlias.objects.select_for_update().get(pk=alias.pk)
    if alias.status != CommunityAlias.Status.PROPOSED:
        raise ValidationError("This proposal has already been decided.")
    if accept:
        # Something may have claimed the name since it was proposed.
        taken = _hashtag_taken_reason(alias.name, viewer=acting_user)
        if taken:
            raise ValidationError(taken)
    alias.status = CommunityAlias.Status.ACCEPTED if accept else CommunityAlias.Status.DECLINED
    alias.decided_by = acting_user
    try:
        with transaction.atomic():
            alias.save(update_fields=["status", "decided_by"])
    except IntegrityError as error:
        raise ValidationError(f"#{alias.name} is already another name for a community.") from error
    verb = "Accepted" if accept else "Declined"
    _record_alias(acting_user, alias, before=CommunityAlias.Status.PROPOSED, reason=f"{verb} #{alias.name}.")
    return alias


@transaction.atomic
def alias_add(*, acting_user: User, community: Community, name: str) -> CommunityAlias:
    """A moderator gives their community another name at once, as a proposal they accept
    themselves: the same checks as accepting one. A name proposed or declined before for
    this community is accepted in place (one row per name and community)."""
    _require_moderator(acting_user, community)
    try:
        hashtag = normalise_hashtag(name)
    except InvalidHashtag as error:
        raise ValidationError({"name": str(error)}) from error
    taken = _hashtag_taken_reason(hashtag, viewer=acting_user)
    if taken:
        raise ValidationError({"name": taken})
    alias = CommunityAlias.objects.select_for_update().filter(community=community, name=hashtag).first()
    before = alias.status if alias is not None else ""
    if alias is None:
        alias = CommunityAlias(community=community, name=hashtag, proposed_by=acting_user)
    alias.status = CommunityAlias.Status.ACCEPTED
    alias.decided_by = acting_user
    try:
        with transaction.atomic():
            alias.save()
    except IntegrityError as error:
        raise ValidationError({"name": f"#{hashtag} is already another name for a community."}) from error
    _record_alias(acting_user, alias, before=before, reason=f"Added #{alias.name} as another name.")
    return alias


def _record_alias(acting_user: User, alias: CommunityAlias, *, before: str, reason: str) -> None:
    record_action(
        acting_user=acting_user,
        kind=ModerationAction.Kind.ALIAS,
        community=alias.community,
        reason=reason,
        before={"alias": alias.name, "status": before} if before else {"alias": alias.name},
        after={"alias": alias.name, "status": alias.status, "role": acting_role(acting_user)},
    )


# --- Settings a community's moderators keep -------------------------------------

MAX_DESCRIPTION_LENGTH = 2000
MAX_GUIDELINES = 30
MAX_GUIDELINE_LENGTH = 300
MAX_HOLD_POSTS = 50
MAX_NEW_ACCOUNT_DAYS = 90


def _clean_guidelines(guidelines: str) -> list[str]:
    lines = [" ".join(line.split()) for line in guidelines.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_GUIDELINES:
        raise ValidationError({"guidelines": f"Keep to {MAX_GUIDELINES} guidelines at most."})
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_GUIDELINE_LENGTH:
            raise ValidationError(
                {"guidelines": f"Guideline {number} is too long: keep each under {MAX_GUIDELINE_LENGTH} characters."}
            )
    return lines


@transaction.atomic
def community_update_details(
    *, acting_user: User, community: Community, description: str, guidelines: str
) -> Community:
    """A community's moderators (or staff) rewrite its description and guidelines.

    Guidelines are one per line, numbered in order; removal notices cite them by
    number, so the log keeps both versions to tell what a cited number meant then,
    and a number an open appeal's decision cites cannot be dropped. Nothing changed:
    nothing is written.
    """
    _require_moderator(acting_user, community)
    description = description.strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise ValidationError({"description": f"Keep the description under {MAX_DESCRIPTION_LENGTH} characters."})
    lines = _clean_guidelines(guidelines)
    community = Community.objects.select_for_update().get(pk=community.pk)
    under_appeal = guideline_highest_under_appeal(community)
    if under_appeal and len(lines) < under_appeal:
        raise ValidationError(
            {
                "guidelines": f"An open appeal answers a decision that cited guideline {under_appeal}: "
                f"keep at least {under_appeal} guidelines until the appeal is decided."
            }
        )
    before = {"description": community.description, "guidelines": community.guideline_list()}
    after = {"description": description, "guidelines": lines}
    changed = [field for field in ("description", "guidelines") if before[field] != after[field]]
    if not changed:
        return community
    community.description = description
    community.guidelines = "\n".join(lines)
    community.save(update_fields=["description", "guidelines"])
    record_action(
        acting_user=acting_user,
        kind=ModerationAction.Kind.COMMUNITY_SETTINGS,
        community=community,
        reason=f"Changed the {' and the '.join(changed)}.",
        before=before,
        after={**after, "changed": changed, "role": acting_role(acting_user)},
    )
    return community


def new_account_hold_summary(*, hold_posts: int, days: int) -> str:
    """What a new-account hold does, in the words the settings screen and the log use."""
    if hold_posts and days:
        return f"the first {hold_posts} posts of accounts younger than {days} days wait for a moderator"
    if hold_posts:
        return f"the first {hold_posts} posts of every member wait for a moderator"
    if days:
        return f"every post of accounts younger than {days} days waits for a moderator"
    return "no posts are held for being new"


@transaction.atomic
def community_set_new_account_hold(*, acting_user: User, community: Community, hold_posts: int, days: int) -> Community:
    """A community's moderators (or staff) choose which posts of new members wait for
    approval (see ``moderation.screening``): the first ``hold_posts`` posts, those of
    accounts younger than ``days`` days, or both together; 0 and 0 holds nothing.
    Posts already written keep their state; only new posts are screened by it."""
    _require_moderator(acting_user, community)
    if not 0 <= hold_posts <= MAX_HOLD_POSTS:
        raise ValidationError({"hold_posts": f"Choose from 0 (off) to {MAX_HOLD_POSTS} posts."})
    if not 0 <= days <= MAX_NEW_ACCOUNT_DAYS:
        raise ValidationError({"days": f"Choose from 0 (off) to {MAX_NEW_ACCOUNT_DAYS} days."})
    community = Community.objects.select_for_update().get(pk=community.pk)
    before = {"hold_posts": community.new_account_hold_posts, "days": community.new_account_days}
    after = {"hold_posts": hold_posts, "days": days}
    if after == before:
        return community
    community.new_account_hold_posts, community.new_account_days = hold_posts, days
    community.save(update_fields=["new_account_hold_posts", "new_account_days"])
    summary = new_account_hold_summary(hold_posts=hold_posts, days=days)
    record_action(
        acting_user=acting_user,
        kind=ModerationAction.Kind.COMMUNITY_SETTINGS,
        community=community,
        reason=f"New-account hold: {summary}.",
        before=before,
        after={**after, "changed": ["new-account hold"], "role": acting_role(acting_user)},
    )
    return community
