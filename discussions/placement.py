"""Where a discussion may sit: in which communities, and so who may read it.

One rule for starting a discussion and for moving one later: a community is named
by its hashtag (aliases resolved) and must be one the person placing it may know
of; one to ``MAX_HASHTAGS`` communities; nobody drops a discussion into a community
they could not post in; a private community holds a discussion alone and makes it
community-only; and nobody makes a community-only discussion they could not read.
A read-only rule: it raises ``ValidationError`` and writes nothing.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.selectors import is_site_staff
from community.hashtags import InvalidHashtag, hashtags_in_text, normalise_hashtag
from community.models import Community, Membership
from community.selectors import community_resolve
from discussions.models import Visibility

MAX_HASHTAGS = 5


@dataclass(frozen=True)
class Placement:
    communities: list[Community]
    visibility: str


def resolve_communities(*, author: User, typed: list[str], title: str, body: str) -> list[Community]:
    """Communities named in the hashtag field (all must exist) plus those typed in
    the title or body (only the ones that resolve; the rest stay plain text)."""
    unknown: list[str] = []
    invalid: list[str] = []
    communities: dict[int, Community] = {}
    for raw in typed:
        try:
            name = normalise_hashtag(raw)
        except InvalidHashtag as error:
            invalid.append(str(error))
            continue
        community = community_resolve(name, viewer=author)
        if community is None:
            unknown.append(f"#{name}")
        else:
            communities.setdefault(community.pk, community)
    if invalid:
        raise ValidationError({"hashtags": invalid})
    if unknown:
        message = (
            "There is no community for "
            + ", ".join(dict.fromkeys(unknown))
            + ". Check the spelling, or choose a hashtag from the suggestions."
        )
        if author.is_staff:
            message += f" As staff, you can create it first at /c/new/?hashtag={unknown[0].lstrip('#')}"
        raise ValidationError({"hashtags": message})
    for name in dict.fromkeys(hashtags_in_text(f"{title}\n{body}")):
        community = community_resolve(name, viewer=author)
        if community is not None:
            communities.setdefault(community.pk, community)
    found = list(communities.values())
    if not found:
        raise ValidationError({"hashtags": "Please add at least one community hashtag, such as #mecfs."})
    if len(found) > MAX_HASHTAGS:
        raise ValidationError({"hashtags": f"A discussion can sit in at most {MAX_HASHTAGS} communities."})
    return found


def community_only_refusal(*, member: User, communities: list[Community]) -> str | None:
    """Why ``member`` could not read a community-only discussion in these communities
    (they are active in none of them), or None when they could.

    Writing a discussion gives no way in (``discussion_list_visible_to``), so a member
    is not let to make one that they themselves could not open.
    """
    if is_site_staff(member):
        return None
    if Membership.objects.filter(user=member, community__in=communities, status=Membership.Status.ACTIVE).exists():
        return None
    listed = " or ".join(f"#{community.slug}" for community in communities)
    joined = listed if len(communities) == 1 else "any of them"
    return (
        f"Only members of {listed} could read this, and you have not joined {joined}, so you could not "
        "read it yourself. Join first, or choose who can read it."
    )


def place(*, author: User, communities: list[Community], visibility: str) -> Placement:
    """Check the author may post in each community, and settle the audience."""
    memberships = {
        membership.community_id: membership
        for membership in Membership.objects.filter(user=author, community__in=communities)
    }
    refused: list[str] = []
    for community in communities:
        membership = memberships.get(community.pk)
        if membership is not None and membership.is_banned:
            refused.append(f"You cannot post in #{community.slug}: you have been banned from it.")
            continue
        gated = community.policy != Community.Policy.OPEN or community.professionals_only
        if gated and not author.is_staff and not (membership is not None and membership.is_active):
            refused.append(f"Only members of #{community.slug} can post there. Join it first.")
    if refused:
        raise ValidationError({"hashtags": refused})

    private = [community for community in communities if community.is_private]
    if private:
        if len(communities) > 1:
            raise ValidationError(
                {
                    "hashtags": f"#{private[0].slug} is a private community: a discussion there "
                    "cannot also be in other communities."
                }
            )
        # Private communities are read by their members only, whatever was chosen.
        visibility = Visibility.COMMUNITY
    if visibility == Visibility.COMMUNITY:
        refusal = community_only_refusal(member=author, communities=communities)
        if refusal:
            raise ValidationError({"visibility": refusal})
    return Placement(communities=communities, visibility=visibility)
