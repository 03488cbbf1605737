"""Who may see what. The one visibility rule lives here and nowhere else.

Every surface that shows a discussion or a reply (pages, lists, search, related
discussions, notifications, emails, live updates, feeds, JSON) asks this module.
Forbidden and missing look the same to the viewer: both are a 404.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.selectors import is_signed_in_member, is_site_staff
from community.models import Community, Membership
from discussions.models import Discussion, DiscussionTag, Reply, Visibility

Viewer = User | AnonymousUser

READABLE_REPLY_STATES = (Reply.Status.PUBLISHED, Reply.Status.REMOVED, Reply.Status.DELETED)
OWN_PENDING_STATES = (Discussion.Status.HELD,)


def _tagged_into(**community_filter) -> Exists:
    return Exists(
        DiscussionTag.objects.filter(
            content_object=OuterRef("pk"),
            **{f"tag__community__{key}": value for key, value in community_filter.items()},
        )
    )


def _active_membership_of(viewer: User) -> dict:
    return {"memberships__user": viewer, "memberships__status": Membership.Status.ACTIVE}


def discussion_list_visible_to(viewer: Viewer) -> QuerySet[Discussion]:
    """Discussions the viewer may read, on every surface.

    - Only published discussions, except that authors also see their own held ones.
    - Signed-out visitors (and deactivated accounts): public only.
    - Members: public and members-only; community-only when they are an active member
      of at least one of its communities.
    - A discussion in a private community: only that community's active members.
    - Staff moderate everywhere and see every published discussion.

    Writing a discussion gives no right to read it. An author reads their own
    discussion, published or held, only where the rules above would let them read
    it if it were anyone's: removed from or banned by its private community, gone
    from the community a community-only discussion is for, or moved by staff into
    a private community they are not in, they lose its page, its replies, search,
    feeds, live updates and replying, like any other outsider. What they wrote
    stays theirs through their data export (and account deletion still reaches it).
    """
    discussions = Discussion.objects.all()
    in_private_community = _tagged_into(policy=Community.Policy.PRIVATE)

    if not is_signed_in_member(viewer):
        return discussions.filter(
            Q(status=Discussion.Status.PUBLISHED) & Q(visibility=Visibility.PUBLIC) & ~in_private_community
        )

    if is_site_staff(viewer):
        return discussions.filter(
            Q(status=Discussion.Status.PUBLISHED) | Q(author=viewer, status__in=OWN_PENDING_STATES)
        )

    in_my_community = _tagged_into(**_active_membership_of(viewer))
    in_my_private_community = _tagged_into(policy=Community.Policy.PRIVATE, **_active_membership_of(viewer))
    readable_by_members = (
        Q(visibility=Visibility.PUBLIC)
        | Q(visibility=Visibility.MEMBERS)
        | (Q(visibility=Visibility.COMMUNITY) & in_my_community)
    )
    private_community_allows = ~in_private_community | in_my_private_community
    published_or_my_held = Q(status=Discussion.Status.PUBLISHED) | Q(author=viewer, status__in=OWN_PENDING_STATES)
    return discussions.filter(published_or_my_held & readable_by_members & private_community_allows)


def discussion_get_visible_or_404(viewer: Viewer, pk: int) -> Discussion:
    return get_object_or_404(discussion_list_visible_to(viewer), pk=pk)


def can_see_discussion(viewer: Viewer, discussion: Discussion) -> bool:
    return discussion_list_visible_to(viewer).filter(pk=discussion.pk).exists()


def reply_list_visible_to(viewer: Viewer, discussion: Discussion) -> QuerySet[Reply]:
    """Replies of a discussion the caller has already checked the viewer may see.

    Removed and deleted replies stay in the list as tombstones (their content is
    never rendered); held and hidden replies are shown to their author only.
    """
    replies = Reply.objects.filter(discussion=discussion)
    readable = Q(status__in=READABLE_REPLY_STATES)
    if is_signed_in_member(viewer):
        readable |= Q(author=viewer, status__in=(Reply.Status.HELD, Reply.Status.HIDDEN))
    return replies.filter(readable)


def can_see_author(viewer: Viewer, post: Discussion | Reply) -> bool:
    """Whether the viewer may know who wrote a post. Anonymous posts name their
    author to the author alone; moderators reveal through an audited action."""
    if not post.is_anonymous:
        return True
    return is_signed_in_member(viewer) and post.author_id == viewer.pk


def is_banned_from_any(viewer: Viewer, discussion: Discussion) -> bool:
    return Membership.objects.filter(
        user=viewer, status=Membership.Status.BANNED, community__tag__in=discussion.tags.all()
    ).exists()


def is_blocked_by_author(viewer: Viewer, discussion: Discussion) -> bool:
    """Whether the discussion's author blocked the viewer.

    Not applied to anonymous discussions: a refusal there would tell the blocked
    member that the anonymous author is someone who blocked them (a de-anonymising
    clue). The blocker still never hears from them (notifications skip blocked
    authors) and sees their posts collapsed.
    """
    from accounts.models import Block

    if discussion.is_anonymous or discussion.author_id is None:
        return False
    return Block.objects.filter(blocker_id=discussion.author_id, blocked_id=viewer.pk).exists()


def can_reply(viewer: Viewer, discussion: Discussion) -> bool:
    """Signed-in members who can see an open, published discussion may reply,
    unless a community it sits in has banned them or its author blocked them."""
    return (
        is_signed_in_member(viewer)
        and discussion.is_published
        and not discussion.is_locked
        and can_see_discussion(viewer, discussion)
        and not is_blocked_by_author(viewer, discussion)
        and not is_restricted_from_posting(viewer, discussion)
    )


def is_restricted_from_posting(viewer: Viewer, discussion: Discussion) -> bool:
    """Suspended site-wide, or muted or banned in one of the discussion's communities."""
    from community.moderation_selectors import communities_of, posting_refusal

    return posting_refusal(viewer, communities_of(discussion)) is not None


def can_moderate(viewer: Viewer, discussion: Discussion) -> bool:
    """Staff, or an active moderator of one of the discussion's communities."""
    from community.moderation_selectors import can_moderate_post

    return can_moderate_post(viewer, discussion)
