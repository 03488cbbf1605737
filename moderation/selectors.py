"""Reads for moderation: who moderates what (the one moderation scope), who may post,
and a member's own flags and notices. The queue is in ``moderation.queue``, the log in
``moderation.log``; both read through the scope defined here.

Moderation views are the one place where held, hidden and removed posts are
shown; they are reached only through ``moderation_post_get_or_404``, which
answers 404 to anyone whose moderation scope does not hold the post.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.access import SanctionInForce, access_for
from accounts.models import User
from accounts.selectors import is_moderator_anywhere, is_signed_in_member
from community.hashtags import HASHTAG_PATTERN
from community.models import Community, CommunityAlias, Membership
from discussions.models import Discussion, DiscussionTag, Reply
from moderation.models import (
    Appeal,
    CrisisResource,
    Flag,
    KeywordRule,
    MemberNote,
    ModerationAction,
    ModerationNotice,
    OnCall,
    Sanction,
)

Viewer = User | AnonymousUser
Post = Discussion | Reply


# --- Who moderates what: the one moderation scope ---------------------------------------


def communities_moderated_by(viewer: Viewer) -> QuerySet[Community]:
    context = access_for(viewer)
    if not context.is_member:
        return Community.objects.none()
    if context.is_staff:
        return Community.objects.all()
    return Community.objects.filter(pk__in=sorted(context.moderated))


def discussion_of(post: Post) -> Discussion:
    return post.discussion if isinstance(post, Reply) else post


def communities_of(post: Post) -> QuerySet[Community]:
    discussion = discussion_of(post)
    tag_ids = DiscussionTag.objects.filter(content_object_id=discussion.pk).values("tag_id")
    return Community.objects.filter(tag_id__in=tag_ids)


def post_kind(post: Post) -> str:
    return "reply" if isinstance(post, Reply) else "discussion"


def _private_tags_unknown_to(viewer: User) -> QuerySet:
    """Tags of the private communities the viewer is not an active member of."""
    active = sorted(access_for(viewer).active)
    return Community.objects.filter(policy=Community.Policy.PRIVATE).exclude(pk__in=active).values("tag_id")


@dataclass(frozen=True)
class ModerationScope:
    """What one person may moderate. The queue, the log, the review page, appeals and
    every moderation action ask this one object, so their filters cannot drift apart.

    - ``communities``: the communities they moderate (staff: all of them), or the one
      community a queue or log page is narrowed to.
    - A post is theirs when its discussion sits in one of those communities and in no
      private community they are not an active member of: that community's own
      moderators, or staff, act there. Staff know every community; unnarrowed they have
      every post, one in no community included.
    - A log entry is theirs when it was filed under one of their communities or is about
      one of their posts; the log shows which post only when the post is theirs.
    - An appeal is theirs when the decision it answers was filed under one of their
      communities and, when that decision was about a post, the post is still theirs
      (overturning acts on it).

    Nothing is read until a method asks; each method is one query or a lazy QuerySet.
    """

    viewer: Viewer
    communities: QuerySet[Community]
    knows_every_community: bool = False
    every_post: bool = False

    def narrowed_to(self, community: Community) -> "ModerationScope":
        """The same person's scope within one of their communities (a filtered queue or log)."""
        return replace(self, communities=self.communities.filter(pk=community.pk), every_post=False)

    def moderates(self, community: Community) -> bool:
        return self.communities.filter(pk=community.pk).exists()

    def discussions(self) -> QuerySet[Discussion]:
        """The discussions, in any status, whose posts are theirs."""
        if self.every_post:
            return Discussion.objects.all()
        if not is_signed_in_member(self.viewer):
            return Discussion.objects.none()
        theirs = DiscussionTag.objects.filter(tag_id__in=self.communities.values("tag_id"))
        discussions = Discussion.objects.filter(pk__in=theirs.values("content_object_id"))
        if self.knows_every_community:
            return discussions
        unknown = DiscussionTag.objects.filter(tag_id__in=_private_tags_unknown_to(self.viewer))
        return discussions.exclude(pk__in=unknown.values("content_object_id"))

    def replies(self) -> QuerySet[Reply]:
        if self.every_post:
            return Reply.objects.all()
        return Reply.objects.filter(discussion__in=self.discussions().values("pk"))

    def covers(self, post: Post) -> bool:
        if self.every_post:
            return True
        if not access_for(self.viewer).moderated:
            return False  # moderates nothing: no post is theirs, and no query to say so
        discussion_id = post.discussion_id if isinstance(post, Reply) else post.pk
        return self.discussions().filter(pk=discussion_id).exists()

    def flags(self) -> QuerySet[Flag]:
        if self.every_post:
            return Flag.objects.all()
        discussions = self.discussions().values("pk")
        return Flag.objects.filter(Q(discussion__in=discussions) | Q(reply__discussion__in=discussions))

    def join_requests(self) -> QuerySet[Membership]:
        return Membership.objects.filter(status=Membership.Status.REQUESTED, community__in=self.communities)

    def log_entries(self) -> QuerySet[ModerationAction]:
        if self.every_post:
            return ModerationAction.objects.all()
        discussions = self.discussions().values("pk")
        return ModerationAction.objects.filter(
            Q(community__in=self.communities) | Q(discussion__in=discussions) | Q(reply__discussion__in=discussions)
        )

    def appeals(self) -> QuerySet[Appeal]:
        if self.every_post:
            return Appeal.objects.all()
        discussions = self.discussions().values("pk")
        about_no_post = Q(action__discussion__isnull=True, action__reply__isnull=True)
        about_their_post = Q(action__discussion__in=discussions) | Q(action__reply__discussion__in=discussions)
        return Appeal.objects.filter(action__community__in=self.communities).filter(about_no_post | about_their_post)

    def keyword_rules(self) -> QuerySet[KeywordRule]:
        """The rules they keep: their communities' (staff: every rule, site-wide ones included)."""
        if self.every_post:
            return KeywordRule.objects.all()
        return KeywordRule.objects.filter(community__in=self.communities)


def moderation_scope_for(viewer: Viewer) -> ModerationScope:
    is_staff = is_signed_in_member(viewer) and viewer.is_staff
    return ModerationScope(
        viewer=viewer,
        communities=communities_moderated_by(viewer),
        knows_every_community=is_staff,
        every_post=is_staff,
    )


def require_moderator_anywhere(viewer: Viewer) -> None:
    """Moderation pages look like missing pages to anyone who moderates nothing."""
    if not is_moderator_anywhere(viewer):
        raise Http404("No such page.")


def moderated_community_named(viewer: Viewer, raw: str) -> Community | None:
    """The community a moderation page is narrowed to (``?community=<hashtag>``): None when
    none is asked for, a 404 for one the viewer does not moderate or that cannot be a
    hashtag at all (a NUL byte, which PostgreSQL would refuse, included)."""
    if not raw:
        return None
    slug = raw[:40]
    if not HASHTAG_PATTERN.fullmatch(slug):
        raise Http404("No such community.")
    community = moderation_scope_for(viewer).communities.filter(slug=slug).first()
    if community is None:
        raise Http404("No such community.")
    return community


def community_settings_list_for(viewer: Viewer) -> QuerySet[Community]:
    """The communities whose settings the viewer keeps (staff: all), by hashtag, each
    with ``pending_aliases``: the name proposals waiting for a decision."""
    waiting = Q(aliases__status=CommunityAlias.Status.PROPOSED)
    return (
        moderation_scope_for(viewer)
        .communities.annotate(pending_aliases=Count("aliases", filter=waiting, distinct=True))
        .order_by("slug")
    )


def guideline_highest_cited(community: Community) -> int | None:
    """The highest guideline number a moderation action in the community has cited."""
    return ModerationAction.objects.filter(community=community).aggregate(highest=Max("guideline"))["highest"]


def guideline_highest_under_appeal(community: Community) -> int | None:
    """The highest guideline number cited by a decision in the community that a member's
    appeal, still open, answers: the moderator deciding it must still be able to read it."""
    cited = ModerationAction.objects.filter(community=community, appeals__status=Appeal.Status.OPEN)
    return cited.aggregate(highest=Max("guideline"))["highest"]


def keyword_rule_list_for(viewer: Viewer) -> QuerySet[KeywordRule]:
    return (
        moderation_scope_for(viewer)
        .keyword_rules()
        .select_related("community", "created_by")
        .order_by("community__slug", "pattern", "pk")
    )


def keyword_rule_get_for_moderator_or_404(viewer: Viewer, pk: int) -> KeywordRule:
    """A rule the viewer keeps; anyone else's is a 404, the same as no rule."""
    rule = keyword_rule_list_for(viewer).filter(pk=pk).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


def can_moderate_post(viewer: Viewer, post: Post) -> bool:
    """Staff, or an active moderator of one of the communities the post sits in who
    may also know of every private community it sits in."""
    return moderation_scope_for(viewer).covers(post)


def moderation_post_get_or_404(viewer: Viewer, kind: str, pk: int) -> Post:
    """A post in the viewer's scope, held, hidden and removed ones included; 404 otherwise."""
    scope = moderation_scope_for(viewer)
    if kind == "discussion":
        post = scope.discussions().select_related("author").filter(pk=pk).first()
    elif kind == "reply":
        post = scope.replies().select_related("author", "discussion").filter(pk=pk).first()
    else:
        post = None
    if post is None:
        raise Http404("No such post.")
    return post


def post_communities_moderated_by(viewer: Viewer, post: Post) -> list[Community]:
    """The post's communities this moderator moderates, by hashtag."""
    communities = moderation_scope_for(viewer).communities
    return list(communities.filter(pk__in=communities_of(post).values("pk")).order_by("slug"))


def member_action_community(viewer: Viewer, *, slug: str, post: Post | None = None) -> Community:
    """The community a warning, mute or ban applies to: the hashtag typed, which the
    moderator must moderate, or, left empty when acting from a post, that post's
    community the moderator moderates. ValidationError (for the form) otherwise."""
    moderated = moderation_scope_for(viewer).communities
    if slug:
        community = moderated.filter(slug=slug).first()
        if community is None:
            # The same words whether it exists or not: a private community stays unnamed.
            raise ValidationError(f"You don't moderate a community called #{slug}. Type its hashtag without #.")
        return community
    candidates = post_communities_moderated_by(viewer, post) if post is not None else []
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(f"#{community.slug}" for community in candidates)
        raise ValidationError(f"This post is in {names}: name the community this applies to.")
    raise ValidationError("Name the community this applies to: its hashtag, without #.")


def can_decide_appeal(viewer: Viewer, appeal: Appeal) -> bool:
    return moderation_scope_for(viewer).appeals().filter(pk=appeal.pk).exists()


def appeal_get_for_moderator_or_404(viewer: User, pk: int) -> Appeal:
    appeals = moderation_scope_for(viewer).appeals().select_related("action", "action__community", "appellant")
    appeal = appeals.filter(pk=pk).first()
    if appeal is None:
        raise Http404("No such appeal.")
    return appeal


def crisis_alert_recipients(post: Post, *, exclude_user_ids=()) -> list[User]:
    """Who must hear at once that this post may be a crisis: the active moderators of
    its communities who may moderate it and the staff on call, together; when there is
    nobody of either, every active staff member, so an alert always reaches a person.
    Never the people in ``exclude_user_ids`` (its author, a flagging moderator who
    already knows)."""
    excluded = set(exclude_user_ids)
    moderators = (
        User.objects.filter(
            is_active=True,
            memberships__community__in=communities_of(post),
            memberships__status=Membership.Status.ACTIVE,
            memberships__role=Membership.Role.MODERATOR,
        )
        .exclude(pk__in=excluded)
        .distinct()
        .order_by("pk")
    )
    found = {user.pk: user for user in moderators if can_moderate_post(user, post)}
    found |= {user.pk: user for user in on_call_staff().exclude(pk__in=excluded)}
    if found:
        return [found[pk] for pk in sorted(found)]
    return list(active_staff().exclude(pk__in=excluded))


def active_staff() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_staff=True).order_by("pk")


def on_call_staff() -> QuerySet[User]:
    return active_staff().filter(pk__in=OnCall.objects.values("user_id"))


def is_on_call(user: Viewer) -> bool:
    return is_signed_in_member(user) and OnCall.objects.filter(user_id=user.pk).exists()


def community_moderators(community: Community) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__community=community,
        memberships__status=Membership.Status.ACTIVE,
        memberships__role=Membership.Role.MODERATOR,
    ).order_by("pk")


def crisis_flag_get_for_moderator_or_404(viewer: Viewer, pk: int) -> Flag:
    """A crisis flag on a post in the viewer's scope; any other is a 404, the same as none."""
    flag = (
        moderation_scope_for(viewer)
        .flags()
        .filter(pk=pk, reason=Flag.Reason.CRISIS)
        .select_related("discussion", "reply", "reply__discussion")
        .first()
    )
    if flag is None:
        raise Http404("No such flag.")
    return flag


def crisis_response_times(scope: ModerationScope, since: datetime) -> list[tuple[datetime, datetime | None]]:
    """For the dashboard: each crisis flag in the scope raised since ``since``, oldest first, as
    ``(raised at, first response at)``. The first response is the earlier of "I'm on it" and the
    decision on the flag; None while nobody has responded."""
    rows = (
        scope.flags()
        .filter(reason=Flag.Reason.CRISIS, created_at__gte=since)
        .order_by("created_at", "pk")
        .values_list("created_at", "acknowledged_at", "decided_at")
    )
    return [
        (created, min((at for at in (acknowledged, decided) if at), default=None))
        for created, acknowledged, decided in rows
    ]


def oldest_waiting_in(community: Community) -> datetime | None:
    """When the oldest thing still waiting in a community's queue came in: an open flag, a held
    or hidden post, a join request or an open appeal filed under it."""
    tagged = DiscussionTag.objects.filter(tag_id=community.tag_id).values("content_object_id")
    pending = (Discussion.Status.HELD, Discussion.Status.HIDDEN)
    times = [
        Flag.objects.filter(status=Flag.Status.OPEN)
        .filter(Q(discussion__in=tagged) | Q(reply__discussion__in=tagged))
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
        Discussion.objects.filter(pk__in=tagged, status__in=pending)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
        Reply.objects.filter(discussion__in=tagged, status__in=pending)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
        Membership.objects.filter(community=community, status=Membership.Status.REQUESTED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
        Appeal.objects.filter(status=Appeal.Status.OPEN, action__community=community)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
    ]
    return min((time for time in times if time is not None), default=None)


# --- Sanctions in force and member notes, for /mod/members/ -----------------------------


def _sanctions_in_scope(viewer: Viewer, community: Community | None) -> QuerySet[Sanction]:
    """Sanctions filed under the viewer's communities (or the one named); staff, unnarrowed,
    also see site-wide suspensions."""
    scope = moderation_scope_for(viewer)
    if community is not None:
        scope = scope.narrowed_to(community)
    in_scope = Q(community__in=scope.communities)
    if community is None and scope.every_post:
        in_scope |= Q(community__isnull=True)
    return Sanction.objects.filter(in_scope)


def sanction_list_for(viewer: Viewer, community: Community | None = None) -> QuerySet[Sanction]:
    """Mutes, bans and suspensions in force, newest first (warnings have nothing to lift)."""
    now = timezone.now()
    return (
        _sanctions_in_scope(viewer, community)
        .exclude(kind=Sanction.Kind.WARNING)
        .filter(lifted_at__isnull=True)
        .filter(Q(until__isnull=True) | Q(until__gt=now))
        .select_related("user", "community", "actor")
        .order_by("-created_at", "-pk")
    )


def sanction_get_for_moderator_or_404(viewer: Viewer, pk: int) -> Sanction:
    """A sanction the viewer may lift, lifted or not (a second lift is "already handled")."""
    sanction = (
        _sanctions_in_scope(viewer, None)
        .exclude(kind=Sanction.Kind.WARNING)
        .select_related("user", "community")
        .filter(pk=pk)
        .first()
    )
    if sanction is None:
        raise Http404("No such sanction.")
    return sanction


def member_note_list_for(
    viewer: Viewer, *, community: Community | None = None, member: User | None = None
) -> QuerySet[MemberNote]:
    """Notes the viewer may read: those in the communities they moderate (staff: all)."""
    scope = moderation_scope_for(viewer)
    if community is not None:
        scope = scope.narrowed_to(community)
    notes = MemberNote.objects.filter(community__in=scope.communities)
    if member is not None:
        notes = notes.filter(member=member)
    return notes.select_related("community", "member", "author").order_by("-created_at", "-pk")


# --- Who may post ------------------------------------------------------------------


def active_suspension(user: Viewer) -> SanctionInForce | None:
    """The site-wide suspension in force now (its ``until``), from the member's access context."""
    return access_for(user).sanction(Sanction.Kind.SUSPENSION)


def is_suspended(user: Viewer) -> bool:
    """Suspended members can still sign in and read; they cannot post, reply, flag or join."""
    return active_suspension(user) is not None


def _until_text(until: datetime | None) -> str:
    if until is None:
        return ""
    local = timezone.localtime(until)
    return f" until {local.day} {local:%B %Y, %H:%M}"


NOTICES_HINT = "What was done and why is under your moderation notices."


def posting_refusal(user: Viewer, communities=()) -> str | None:
    """Why the member may not post into these communities now, or None when they may.
    Plain words for the member, saying until when; the one source of that text."""
    if not is_signed_in_member(user):
        return "Sign in to post."
    suspension = active_suspension(user)
    if suspension is not None:
        return (
            f"Your account is suspended{_until_text(suspension.until)}, so you can read but not post or reply. "
            + NOTICES_HINT
        )
    communities = sorted(communities, key=lambda community: community.slug)
    if not communities:
        return None
    context = access_for(user)
    by_id = {community.pk: community for community in communities}
    mute = context.sanction(Sanction.Kind.MUTE, set(by_id))
    if mute is not None:
        return (
            f"A moderator muted you in #{by_id[mute.community_id].slug}{_until_text(mute.until)}. "
            "You can still read there, and post and reply again once it ends. " + NOTICES_HINT
        )
    banned = next((community for community in communities if community.pk in context.banned), None)
    if banned is not None:
        ban = context.sanction(Sanction.Kind.BAN, {banned.pk})
        until = _until_text(ban.until if ban is not None else None)
        return f"A moderator banned you from #{banned.slug}{until}, so you can't post or reply there. " + (NOTICES_HINT)
    return None


def can_post(user: Viewer, communities=()) -> bool:
    return posting_refusal(user, communities) is None


# --- Flags a member made and notices they received ------------------------------------


def flag_list_by(user: User) -> QuerySet[Flag]:
    return (
        Flag.objects.filter(flagger=user)
        .select_related("discussion", "reply", "reply__discussion")
        .order_by("-created_at")
    )


def has_flagged(user: Viewer, post: Post) -> bool:
    if not user.is_authenticated:
        return False
    lookup = {"reply": post} if isinstance(post, Reply) else {"discussion": post}
    return Flag.objects.filter(flagger=user, **lookup).exists()


def notice_list_for(user: User) -> QuerySet[ModerationNotice]:
    return (
        ModerationNotice.objects.filter(user=user)
        .select_related("action", "action__community")
        .prefetch_related("action__appeals")
    )


def notice_get_for_or_404(user: User, pk: int) -> ModerationNotice:
    notice = notice_list_for(user).filter(pk=pk).first()
    if notice is None:
        raise Http404("No such notice.")
    return notice


def unread_notice_count(user: Viewer) -> int:
    if not user.is_authenticated:
        return 0
    return ModerationNotice.objects.filter(user=user, read_at__isnull=True).count()


# --- Crisis resources (staff) -------------------------------------------------------------


def crisis_resource_list() -> QuerySet[CrisisResource]:
    """Every crisis resource, site-wide ones first, then by region and the order posters see."""
    return CrisisResource.objects.order_by("region", "order", "name", "pk")


def crisis_resource_get_or_404(pk: int) -> CrisisResource:
    resource = CrisisResource.objects.filter(pk=pk).first()
    if resource is None:
        raise Http404("No such crisis resource.")
    return resource
