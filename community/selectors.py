"""Reads about communities: which ones a viewer may know of, hashtag lookup, memberships and aliases.

Nothing here reads discussions: the visibility rule (``discussions.selectors``) builds on
these, and the community pages' lists of discussions are in ``community.listings``.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.access import access_for
from accounts.models import User
from community.hashtags import InvalidHashtag, normalise_hashtag
from community.models import Community, CommunityAlias, Membership


def community_list_visible_to(viewer: User | AnonymousUser) -> QuerySet[Community]:
    """Private communities exist only for their members, invitees and staff;
    to everyone else they look like no community at all."""
    communities = Community.objects.all()
    context = access_for(viewer)
    if not context.is_member:
        return communities.exclude(policy=Community.Policy.PRIVATE)
    if context.is_staff:
        return communities
    # The ids they belong to or are invited to, from their access context, as a literal list.
    return communities.filter(~Q(policy=Community.Policy.PRIVATE) | Q(pk__in=sorted(context.known)))


def community_known_to(viewer: User | AnonymousUser, community: Community) -> bool:
    """``community_list_visible_to`` for one community already read, with no query."""
    if community.policy != Community.Policy.PRIVATE:
        return True
    context = access_for(viewer)
    return context.is_site_staff or (context.is_member and community.pk in context.known)


def tag_known_to(viewer: User | AnonymousUser) -> Q:
    """The hashtags a viewer may know of, as a condition on taggit's ``Tag``: hashtags
    of no community, and those of communities the viewer may know of. The discussion
    page and every list item show a discussion's hashtags through this one rule."""
    return Q(community__isnull=True) | Q(community__in=community_list_visible_to(viewer).values("pk"))


def community_resolve(name: str, *, viewer: User | AnonymousUser) -> Community | None:
    """The community a typed hashtag or accepted alias names, if the viewer may know of it."""
    try:
        hashtag = normalise_hashtag(name)
    except InvalidHashtag:
        return None
    visible = community_list_visible_to(viewer)
    direct = visible.filter(slug=hashtag).first()
    if direct is not None:
        return direct
    alias = (
        CommunityAlias.objects.filter(name=hashtag, status=CommunityAlias.Status.ACCEPTED)
        .select_related("community")
        .first()
    )
    if alias is not None and visible.filter(pk=alias.community_id).exists():
        return alias.community
    return None


def community_get_visible_or_404(viewer: User | AnonymousUser, slug: str) -> Community:
    return get_object_or_404(community_list_visible_to(viewer), slug=slug)


def membership_for(viewer: User | AnonymousUser, community: Community) -> Membership | None:
    if not viewer.is_authenticated:
        return None
    return Membership.objects.filter(user=viewer, community=community).first()


def is_community_moderator(viewer: User | AnonymousUser, community: Community) -> bool:
    context = access_for(viewer)
    return context.is_site_staff or (context.is_member and community.pk in context.moderated)


def community_get_moderated_or_404(viewer: User | AnonymousUser, slug: str) -> Community:
    """A community the viewer moderates; to anyone else, like a community that does not exist."""
    community = community_get_visible_or_404(viewer, slug)
    if not is_community_moderator(viewer, community):
        raise Http404("No such community.")
    return community


def community_list_starting_with(viewer: User | AnonymousUser, prefix: str) -> QuerySet[Community]:
    """Communities the viewer may know of whose hashtag starts with ``prefix``."""
    return community_list_visible_to(viewer).filter(slug__startswith=prefix).order_by("slug")


# --- Memberships -----------------------------------------------------------------


def membership_get_or_404(community: Community, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "community"), pk=membership_id, community=community
    )


def membership_list_moderators(community: Community) -> QuerySet[Membership]:
    """The community's active moderators, longest-serving first."""
    return (
        Membership.objects.filter(community=community, status=Membership.Status.ACTIVE, role=Membership.Role.MODERATOR)
        .select_related("user")
        .order_by("created_at")
    )


def community_list_with_moderators() -> QuerySet[Community]:
    """Every community, private ones included, by hashtag, each with its active moderators
    (``moderator_memberships``, longest-serving first) in one more query: the staff screen."""
    moderators = (
        Membership.objects.filter(status=Membership.Status.ACTIVE, role=Membership.Role.MODERATOR)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    return Community.objects.order_by("slug").prefetch_related(
        Prefetch("memberships", queryset=moderators, to_attr="moderator_memberships")
    )


def membership_list_active(community: Community) -> QuerySet[Membership]:
    """Members, moderators first, then by username."""
    return (
        Membership.objects.filter(community=community, status=Membership.Status.ACTIVE)
        .select_related("user")
        .order_by("-role", "user__username")
    )


def membership_list_requested(community: Community) -> QuerySet[Membership]:
    """Requests to join waiting for a moderator, oldest first."""
    return (
        Membership.objects.filter(community=community, status=Membership.Status.REQUESTED)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def membership_list_invited(community: Community) -> QuerySet[Membership]:
    """Invitations not yet taken up, newest first."""
    return (
        Membership.objects.filter(community=community, status=Membership.Status.INVITED)
        .select_related("user")
        .order_by("-created_at")
    )


# --- Aliases ---------------------------------------------------------------------


def alias_get_or_404(community: Community, alias_id: int) -> CommunityAlias:
    return get_object_or_404(CommunityAlias.objects.select_related("community"), pk=alias_id, community=community)


def alias_list_accepted(community: Community) -> QuerySet[CommunityAlias]:
    return community.aliases.filter(status=CommunityAlias.Status.ACCEPTED).order_by("name")


def alias_list_proposed(community: Community) -> QuerySet[CommunityAlias]:
    """Proposals waiting for the community's moderators, oldest first."""
    return (
        community.aliases.filter(status=CommunityAlias.Status.PROPOSED)
        .select_related("proposed_by")
        .order_by("created_at", "pk")
    )


def alias_list_starting_with(viewer: User | AnonymousUser, prefix: str) -> QuerySet[CommunityAlias]:
    """Accepted aliases starting with ``prefix``, of communities the viewer may know of."""
    return (
        CommunityAlias.objects.filter(
            status=CommunityAlias.Status.ACCEPTED,
            name__startswith=prefix,
            community__in=community_list_visible_to(viewer).values("pk"),
        )
        .select_related("community")
        .order_by("name")
    )
