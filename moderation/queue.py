"""The moderation queue: what waits for one moderator, read through their moderation
scope (``moderation.selectors.ModerationScope``), so it lists exactly the posts,
requests and appeals the review page and the actions let them handle.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import User
from community.models import Community, Membership
from discussions.models import Discussion, Reply
from moderation.models import Appeal, Flag
from moderation.selectors import Post, moderation_scope_for, post_kind

QUEUE_FLAG_LIMIT = 300
QUEUE_SECTION_LIMIT = 100


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
    def crisis_flag(self) -> Flag | None:
        return crisis_flag_among(self.flags)

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


def moderation_queue_for(viewer: User, community: Community | None = None) -> Queue:
    """What waits for this moderator: per community they moderate, everything for staff.

    Oldest first within each section; flagged posts with a crisis flag come first.
    """
    scope = moderation_scope_for(viewer)
    if community is not None:
        scope = scope.narrowed_to(community)

    flags = (
        scope.flags()
        .filter(status=Flag.Status.OPEN)
        .select_related(
            "discussion", "discussion__author", "reply", "reply__discussion", "reply__author", "acknowledged_by"
        )
        .order_by("created_at")[:QUEUE_FLAG_LIMIT]
    )
    grouped: dict[tuple[str, int], FlaggedPost] = {}
    for flag in flags:
        post = flag.post
        key = (post_kind(post), post.pk)
        grouped.setdefault(key, FlaggedPost(post=post, kind=key[0])).flags.append(flag)
    flagged = sorted(grouped.values(), key=lambda item: (not item.has_crisis, item.oldest))

    pending = (Discussion.Status.HELD, Discussion.Status.HIDDEN)
    held_discussions = scope.discussions().filter(status__in=pending).select_related("author")
    held_replies = scope.replies().filter(status__in=pending).select_related("author", "discussion")
    held: list[tuple[str, Post]] = [
        ("discussion", post) for post in held_discussions.order_by("created_at")[:QUEUE_SECTION_LIMIT]
    ]
    held += [("reply", post) for post in held_replies.order_by("created_at")[:QUEUE_SECTION_LIMIT]]
    held.sort(key=lambda item: item[1].created_at)

    join_requests = scope.join_requests().select_related("user", "community").order_by("created_at")
    appeals = (
        scope.appeals()
        .filter(status=Appeal.Status.OPEN)
        .select_related(
            "action", "action__community", "action__discussion__author", "action__reply__author", "appellant"
        )
        .order_by("created_at")
    )
    return Queue(
        communities=list(scope.communities),
        flagged=flagged,
        held=held,
        join_requests=list(join_requests[:QUEUE_SECTION_LIMIT]),
        appeals=list(appeals[:QUEUE_SECTION_LIMIT]),
    )


def open_flags_on(post: Post) -> QuerySet[Flag]:
    lookup = {"reply": post} if isinstance(post, Reply) else {"discussion": post}
    return Flag.objects.filter(status=Flag.Status.OPEN, **lookup).select_related("flagger", "acknowledged_by")


def crisis_flag_among(flags) -> Flag | None:
    """The crisis flag whose alert state a post shows: the one somebody took, else the one
    alerted first, else the oldest (its alert is on its way)."""
    crisis = [flag for flag in flags if flag.is_crisis]
    if not crisis:
        return None
    taken = [flag for flag in crisis if flag.acknowledged_at is not None]
    if taken:
        return taken[0]
    alerted = sorted((flag for flag in crisis if flag.alerted_at is not None), key=lambda flag: flag.alerted_at)
    return alerted[0] if alerted else min(crisis, key=lambda flag: flag.created_at)
