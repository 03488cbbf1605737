"""Reads for moderation: who may moderate what, who may post, the queue and the log.

Moderation views are the one place where held, hidden and removed posts are
shown; they are reached only through ``moderation_post_get_or_404``, which
answers 404 to anyone who does not moderate one of the post's communities.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_signed_in_member
from community.models import Community, Membership
from discussions.models import Discussion, DiscussionTag, Reply
from moderation.models import Appeal, CrisisResource, Flag, ModerationAction, ModerationNotice, Sanction

Viewer = User | AnonymousUser
Post = Discussion | Reply

QUEUE_FLAG_LIMIT = 300
QUEUE_SECTION_LIMIT = 100


# --- Who moderates what -----------------------------------------------------------


def communities_moderated_by(viewer: Viewer) -> QuerySet[Community]:
    if not is_signed_in_member(viewer):
        return Community.objects.none()
    if viewer.is_staff:
        return Community.objects.all()
    return Community.objects.filter(
        memberships__user=viewer,
        memberships__status=Membership.Status.ACTIVE,
        memberships__role=Membership.Role.MODERATOR,
    )


def discussion_of(post: Post) -> Discussion:
    return post.discussion if isinstance(post, Reply) else post


def communities_of(post: Post) -> QuerySet[Community]:
    discussion = discussion_of(post)
    tag_ids = DiscussionTag.objects.filter(content_object_id=discussion.pk).values("tag_id")
    return Community.objects.filter(tag_id__in=tag_ids)


def private_tags_unknown_to(viewer: Viewer) -> QuerySet:
    """Tags of private communities the viewer is not an active member of. A post in one
    is theirs to moderate only through that community's own moderators (or staff)."""
    return (
        Community.objects.filter(policy=Community.Policy.PRIVATE)
        .exclude(memberships__user=viewer, memberships__status=Membership.Status.ACTIVE)
        .values("tag_id")
    )


def discussions_out_of_sight(viewer: Viewer, discussion_ids: set[int]) -> set[int]:
    """Those of the discussions that now sit in a private community the viewer may not
    know of (moved there after the viewer acted on them, say): their titles are not the
    viewer's to read, even in the moderation log. Staff know every community."""
    if not discussion_ids or (is_signed_in_member(viewer) and viewer.is_staff):
        return set()
    return set(
        DiscussionTag.objects.filter(
            content_object_id__in=discussion_ids, tag_id__in=private_tags_unknown_to(viewer)
        ).values_list("content_object_id", flat=True)
    )


def can_moderate_post(viewer: Viewer, post: Post) -> bool:
    """Staff, or an active moderator of one of the communities the post sits in who
    may also know of every private community it sits in."""
    if not is_signed_in_member(viewer):
        return False
    if viewer.is_staff:
        return True
    counts = communities_of(post).aggregate(
        moderated=Count("pk", filter=Q(pk__in=communities_moderated_by(viewer).values("pk"))),
        unknown=Count("pk", filter=Q(tag_id__in=private_tags_unknown_to(viewer))),
    )
    return counts["moderated"] > 0 and counts["unknown"] == 0


def crisis_alert_recipients(post: Post, *, exclude_user_ids=()) -> list[User]:
    """Who must hear at once that this post may be a crisis: the active moderators of
    its communities who may moderate it, or, when it has none, every active staff
    member, so an alert always reaches a person. Never the people in ``exclude_user_ids``
    (its author, a flagging moderator who already knows)."""
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
    found = [user for user in moderators if can_moderate_post(user, post)]
    if found:
        return found
    return list(User.objects.filter(is_active=True, is_staff=True).exclude(pk__in=excluded).order_by("pk"))


def moderation_post_get_or_404(viewer: Viewer, kind: str, pk: int) -> Post:
    model = {"discussion": Discussion, "reply": Reply}.get(kind)
    if model is None:
        raise Http404("No such post.")
    queryset = model.objects.all()
    if model is Reply:
        queryset = queryset.select_related("discussion")
    post = queryset.filter(pk=pk).select_related("author").first()
    if post is None or not can_moderate_post(viewer, post):
        raise Http404("No such post.")
    return post


def post_communities_moderated_by(viewer: Viewer, post: Post) -> list[Community]:
    """The post's communities this moderator moderates, by hashtag."""
    return list(communities_moderated_by(viewer).filter(pk__in=communities_of(post).values("pk")).order_by("slug"))


def member_action_community(viewer: Viewer, *, slug: str, post: Post | None = None) -> Community:
    """The community a warning, mute or ban applies to: the hashtag typed, which the
    moderator must moderate, or, left empty when acting from a post, that post's
    community the moderator moderates. ValidationError (for the form) otherwise."""
    moderated = communities_moderated_by(viewer)
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


def post_kind(post: Post) -> str:
    return "reply" if isinstance(post, Reply) else "discussion"


# --- Who may post ------------------------------------------------------------------


def _active_sanctions(user: User) -> QuerySet[Sanction]:
    now = timezone.now()
    return Sanction.objects.filter(user=user, lifted_at__isnull=True).filter(Q(until__isnull=True) | Q(until__gt=now))


def active_suspension(user: Viewer) -> Sanction | None:
    if not user.is_authenticated:
        return None
    return _active_sanctions(user).filter(kind=Sanction.Kind.SUSPENSION, community__isnull=True).first()


def is_suspended(user: Viewer) -> bool:
    """Suspended members can still sign in and read; they cannot post, reply, flag or join."""
    return active_suspension(user) is not None


def active_mute(user: Viewer, communities) -> Sanction | None:
    if not user.is_authenticated:
        return None
    return _active_sanctions(user).filter(kind=Sanction.Kind.MUTE, community__in=list(communities)).first()


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
    communities = list(communities)
    if not communities:
        return None
    mute = active_mute(user, communities)
    if mute is not None:
        return (
            f"A moderator muted you in #{mute.community.slug}{_until_text(mute.until)}. You can still read there, "
            "and post and reply again once it ends. " + NOTICES_HINT
        )
    banned = (
        Membership.objects.filter(user=user, community__in=communities, status=Membership.Status.BANNED)
        .select_related("community")
        .order_by("community__slug")
        .first()
    )
    if banned is not None:
        ban = _active_sanctions(user).filter(kind=Sanction.Kind.BAN, community=banned.community).first()
        until = _until_text(ban.until if ban is not None else None)
        return f"A moderator banned you from #{banned.community.slug}{until}, so you can't post or reply there. " + (
            NOTICES_HINT
        )
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


# --- The queue ------------------------------------------------------------------------


@dataclass
class FlaggedPost:
    post: Post
    kind: str
    flags: list[Flag] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.flags)

    @property
    def has_crisis(self) -> bool:
        return any(flag.is_crisis for flag in self.flags)

    @property
    def oldest(self) -> datetime:
        return min(flag.created_at for flag in self.flags)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for flag in self.flags:
            label = flag.get_reason_display()
            if flag.reason == Flag.Reason.GUIDELINE and flag.guideline:
                label = f"Guideline {flag.guideline}"
            counts[label] = counts.get(label, 0) + 1
        return sorted(counts.items(), key=lambda item: -item[1])

    @property
    def details(self) -> list[str]:
        return [flag.detail for flag in self.flags if flag.detail]


@dataclass
class Queue:
    communities: list[Community]
    flagged: list[FlaggedPost]
    held: list[tuple[str, Post]]
    join_requests: list[Membership]
    appeals: list[Appeal]

    @property
    def is_empty(self) -> bool:
        return not (self.flagged or self.held or self.join_requests or self.appeals)


def _tag_ids(communities: list[Community]) -> list[int]:
    return [community.tag_id for community in communities]


def moderation_queue_for(viewer: User, community: Community | None = None) -> Queue:
    """What waits for this moderator: per community they moderate, everything for staff.

    Oldest first within each section; flagged posts with a crisis flag come first.
    """
    moderated = list(communities_moderated_by(viewer))
    if community is not None:
        moderated = [c for c in moderated if c.pk == community.pk]
    tag_ids = _tag_ids(moderated)
    everything = viewer.is_staff and community is None

    discussions_in_scope = Q(discussion__tagged_items__tag_id__in=tag_ids)
    replies_in_scope = Q(reply__discussion__tagged_items__tag_id__in=tag_ids)
    flags = Flag.objects.filter(status=Flag.Status.OPEN)
    if not everything:
        unknown = private_tags_unknown_to(viewer)
        flags = (
            flags.filter(discussions_in_scope | replies_in_scope)
            .exclude(discussion__tagged_items__tag_id__in=unknown)
            .exclude(reply__discussion__tagged_items__tag_id__in=unknown)
        )
    flags = (
        flags.select_related("discussion", "discussion__author", "reply", "reply__discussion", "reply__author")
        .order_by("created_at")
        .distinct()[:QUEUE_FLAG_LIMIT]
    )
    grouped: dict[tuple[str, int], FlaggedPost] = {}
    for flag in flags:
        post = flag.post
        key = (post_kind(post), post.pk)
        grouped.setdefault(key, FlaggedPost(post=post, kind=key[0])).flags.append(flag)
    flagged = sorted(grouped.values(), key=lambda item: (not item.has_crisis, item.oldest))

    pending = (Discussion.Status.HELD, Discussion.Status.HIDDEN)
    held_discussions = Discussion.objects.filter(status__in=pending).select_related("author")
    held_replies = Reply.objects.filter(status__in=pending).select_related("author", "discussion")
    if not everything:
        unknown = private_tags_unknown_to(viewer)
        held_discussions = held_discussions.filter(tagged_items__tag_id__in=tag_ids).exclude(
            tagged_items__tag_id__in=unknown
        )
        held_replies = held_replies.filter(discussion__tagged_items__tag_id__in=tag_ids).exclude(
            discussion__tagged_items__tag_id__in=unknown
        )
    held: list[tuple[str, Post]] = [
        ("discussion", post) for post in held_discussions.distinct().order_by("created_at")[:QUEUE_SECTION_LIMIT]
    ]
    held += [("reply", post) for post in held_replies.distinct().order_by("created_at")[:QUEUE_SECTION_LIMIT]]
    held.sort(key=lambda item: item[1].created_at)

    join_requests = (
        Membership.objects.filter(status=Membership.Status.REQUESTED, community__in=moderated)
        .select_related("user", "community")
        .order_by("created_at")[:QUEUE_SECTION_LIMIT]
    )

    appeals = Appeal.objects.filter(status=Appeal.Status.OPEN)
    if not everything:
        appeals = appeals.filter(action__community__in=moderated)
    appeals = appeals.select_related(
        "action",
        "action__community",
        "action__discussion__author",
        "action__reply__author",
        "appellant",
    ).order_by("created_at")

    return Queue(
        communities=moderated,
        flagged=flagged,
        held=held,
        join_requests=list(join_requests),
        appeals=list(appeals[:QUEUE_SECTION_LIMIT]),
    )


def open_flags_on(post: Post) -> QuerySet[Flag]:
    lookup = {"reply": post} if isinstance(post, Reply) else {"discussion": post}
    return Flag.objects.filter(status=Flag.Status.OPEN, **lookup).select_related("flagger")


def appeal_get_for_moderator_or_404(viewer: User, pk: int) -> Appeal:
    appeal = Appeal.objects.select_related("action", "action__community", "appellant").filter(pk=pk).first()
    if appeal is None or not can_decide_on(viewer, appeal.action):
        raise Http404("No such appeal.")
    return appeal


def can_decide_on(viewer: Viewer, action: ModerationAction) -> bool:
    if not is_signed_in_member(viewer):
        return False
    if viewer.is_staff:
        return True
    if action.community_id is None:
        return False
    return communities_moderated_by(viewer).filter(pk=action.community_id).exists()


# --- The audit log ------------------------------------------------------------------


def moderation_log_for(viewer: User, community: Community | None = None) -> QuerySet[ModerationAction]:
    """Moderators see the actions in (or on posts in) their communities; staff see all."""
    actions = ModerationAction.objects.select_related(
        "actor", "community", "discussion", "reply", "reply__discussion", "target_user"
    )
    if viewer.is_staff and community is None:
        return actions
    moderated = communities_moderated_by(viewer)
    if community is not None:
        moderated = moderated.filter(pk=community.pk)
    tag_ids = list(moderated.values_list("tag_id", flat=True))
    in_scope = (
        Q(community__in=moderated)
        | Q(discussion__tagged_items__tag_id__in=tag_ids)
        | Q(reply__discussion__tagged_items__tag_id__in=tag_ids)
    )
    ids = ModerationAction.objects.filter(in_scope).values("pk")
    return actions.filter(pk__in=ids)


# --- Crisis resources ---------------------------------------------------------------

DEFAULT_CRISIS_RESOURCES = (
    {
        "name": "Emergency services",
        "description": "If you might act on these thoughts, or you are in danger now, call your local emergency "
        "number (112 in Europe, 999 in the UK, 911 in North America).",
        "phone": "",
        "url": "",
    },
    {
        "name": "Find a helpline",
        "description": "Free, confidential support lines in your country, by phone, text or chat.",
        "phone": "",
        "url": "https://findahelpline.com/",
    },
)


def region_from_request(request) -> str:
    """The country part of the browser's first language ("en-GB" gives "GB"), or ""."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:200]
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        pieces = tag.replace("_", "-").split("-")
        if len(pieces) >= 2 and len(pieces[1]) == 2 and pieces[1].isalpha():
            return pieces[1].upper()
    return ""


def crisis_resources_for(region: str = "") -> list[dict]:
    """Resources for the region first, then the site-wide ones; built-in defaults when none are configured."""
    rows = CrisisResource.objects.filter(Q(region=region.upper()[:2]) | Q(region="")) if region else None
    if rows is None:
        rows = CrisisResource.objects.filter(region="")
    found = sorted(rows, key=lambda row: (row.region == "", row.order, row.name))
    if not found:
        return [dict(resource) for resource in DEFAULT_CRISIS_RESOURCES]
    return [{"name": row.name, "description": row.description, "phone": row.phone, "url": row.url} for row in found]
