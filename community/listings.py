"""Reads for the lists the community pages show: communities with their counts, and the
discussions of a community or of the home page.

They count and list discussions, so they build on the visibility rule
(``discussions.selectors``) and add only counting and ordering: a count can never
include what the list would not show. That puts this module above the rule, while
``community.selectors``, which the rule itself uses, stays below it.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from accounts.models import Block, User
from accounts.selectors import is_verified_professional, verified_reply_exists
from community.models import Community, CommunityAlias, Membership
from community.selectors import community_list_visible_to
from discussions.models import Discussion, DiscussionTag
from discussions.selectors import (
    discussion_list_visible_in,
    discussion_list_visible_to,
    discussion_tags_known_to,
    visibility_member,
    visibility_shape,
)
from spoonful.prepared import PreparedList, PreparedQuery

Viewer = User | AnonymousUser


class _CountDistinct(Func):
    # COUNT inside a correlated subquery, without the GROUP BY Django would add
    # for an aggregate: one number per outer row, in the same SQL statement.
    function = "COUNT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def _active_member_count() -> Coalesce:
    members = Membership.objects.filter(community=OuterRef("pk"), status=Membership.Status.ACTIVE).order_by()
    return Coalesce(Subquery(members.annotate(n=_CountDistinct(F("pk"))).values("n")), Value(0))


def _visible_discussion_count(viewer: Viewer) -> Coalesce:
    visible = discussion_list_visible_to(viewer).filter(tagged_items__tag=OuterRef("tag_id")).order_by()
    return Coalesce(Subquery(visible.annotate(n=_CountDistinct(F("pk"))).values("n")), Value(0))


def _accepted_aliases() -> Prefetch:
    return Prefetch(
        "aliases",
        queryset=CommunityAlias.objects.filter(status=CommunityAlias.Status.ACCEPTED).order_by("name"),
        to_attr="accepted_aliases",
    )


def community_list_for_directory(viewer: Viewer, *, query: str = "") -> QuerySet[Community]:
    """The directory: communities the viewer may know of, each with its active members,
    the discussions the viewer may read, the viewer's own membership status and its
    accepted aliases; ``query`` matches the hashtag, the name or an accepted alias."""
    communities = community_list_visible_to(viewer).annotate(
        member_count=_active_member_count(),
        discussion_count=_visible_discussion_count(viewer),
    )
    if viewer.is_authenticated:
        communities = communities.annotate(
            viewer_status=Subquery(
                Membership.objects.filter(community=OuterRef("pk"), user=viewer).values("status")[:1]
            )
        )
    communities = communities.prefetch_related(_accepted_aliases())
    if query:
        alias_matches = CommunityAlias.objects.filter(
            community=OuterRef("pk"), status=CommunityAlias.Status.ACCEPTED, name__icontains=query
        )
        communities = communities.filter(Q(slug__icontains=query) | Q(name__icontains=query) | Exists(alias_matches))
    return communities.order_by("slug")


def community_list_for_home(viewer: Viewer) -> QuerySet[Community]:
    """Communities for the home page: the viewer's own first (``is_mine``), then the busiest."""
    communities = community_list_visible_to(viewer).annotate(member_count=_active_member_count())
    if viewer.is_authenticated:
        mine = Membership.objects.filter(community=OuterRef("pk"), user=viewer, status=Membership.Status.ACTIVE)
        communities = communities.annotate(is_mine=Exists(mine))
    else:
        communities = communities.annotate(is_mine=Value(False))
    return communities.order_by("-is_mine", "-member_count", "slug")


def discussion_pages_for_community(viewer: Viewer, community: Community) -> PreparedList:
    """A community page's discussions the viewer may read, pinned first, then by activity,
    for a paginator. Prepared (``spoonful.prepared``): a community's page is among the most opened."""
    return PreparedList(
        count=_community_count,
        rows=_community_rows,
        shape=visibility_shape(viewer),
        values={"member_id": visibility_member(viewer), "tag_id": community.tag_id},
        then=lambda rows: prefetch_related_objects(rows, discussion_tags_known_to(viewer)),
    )


def _in_community(discussions: QuerySet[Discussion], tag_id: int) -> QuerySet[Discussion]:
    return (
        discussions.filter(tagged_items__tag=tag_id)
        .select_related("author")
        .order_by("-is_pinned", "-last_activity_at", "-pk")
    )


_community_count = PreparedQuery(
    lambda *shape, member_id, tag_id: (
        _in_community(discussion_list_visible_in(shape, member_id), tag_id)
        .order_by()
        .values("tagged_items__tag")
        .annotate(n=Count("pk"))
    ),
    integers=("member_id", "tag_id"),
    optional=("member_id",),
)
_community_rows = PreparedQuery(
    lambda *shape_and_window, member_id, tag_id: _in_community(
        discussion_list_visible_in(shape_and_window[:-2], member_id), tag_id
    )[slice(*shape_and_window[-2:])],
    integers=("member_id", "tag_id"),
    optional=("member_id",),
)


def discussion_list_for_home(viewer: Viewer, count: int) -> list[Discussion]:
    """The home feed: the ``count`` most recently active discussions the viewer may read.
    Prepared (``spoonful.prepared``): every member's home page opens with it."""
    found = _home_feed((*visibility_shape(viewer), count), member_id=visibility_member(viewer))
    prefetch_related_objects(found, discussion_tags_known_to(viewer))
    return found


_home_feed = PreparedQuery(
    lambda *shape_and_count, member_id: (
        discussion_list_visible_in(shape_and_count[:-1], member_id)
        .select_related("author")
        .order_by("-last_activity_at", "-pk")[: shape_and_count[-1]]
    ),
    integers=("member_id",),
    optional=("member_id",),
)


def communities_followed_by(viewer: User) -> QuerySet[Community]:
    """Communities a member follows in either sense the product has: an active membership, or
    following its hashtag (``notifications.HashtagFollow``, which needs no membership)."""
    followed = Q(memberships__user=viewer, memberships__status=Membership.Status.ACTIVE) | Q(followers__user=viewer)
    return Community.objects.filter(followed)


def discussion_list_waiting_for_professional(viewer: Viewer) -> QuerySet[Discussion]:
    """ "Waiting for a professional": for a verified clinician, the discussions they may read
    (the visibility rule) in a community they follow whose author asked for a professional's
    view and that no verified clinician has answered with the badge yet
    (``accounts.selectors.verified_reply_exists``), oldest request first.

    Left out too: what the clinician could not answer here (locked discussions, their own, a
    signed author who blocked them, a community that banned them). Anonymous authors who
    blocked them stay listed, as the reply form treats them (``is_blocked_by_author``), so the
    list gives no clue to who an anonymous author is. Anyone else gets an empty list.
    """
    if not is_verified_professional(viewer):
        return Discussion.objects.none()
    in_followed_community = Exists(
        DiscussionTag.objects.filter(
            content_object=OuterRef("pk"), tag_id__in=communities_followed_by(viewer).values("tag_id")
        )
    )
    in_banning_community = Exists(
        DiscussionTag.objects.filter(
            content_object=OuterRef("pk"),
            tag__community__memberships__user=viewer,
            tag__community__memberships__status=Membership.Status.BANNED,
        )
    )
    blocked_by_signed_author = Q(is_anonymous=False) & Q(
        author__in=Block.objects.filter(blocked=viewer).values("blocker_id")
    )
    return (
        discussion_list_visible_to(viewer)
        .filter(status=Discussion.Status.PUBLISHED, wants_professional=True, is_locked=False)
        .filter(in_followed_community)
        .exclude(author=viewer)
        .exclude(blocked_by_signed_author)
        .exclude(in_banning_community)
        .exclude(verified_reply_exists())
        .select_related("author")
        .prefetch_related(discussion_tags_known_to(viewer))
        .order_by("created_at", "pk")
    )
