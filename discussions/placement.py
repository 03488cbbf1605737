"""Where a discussion may sit: in which communities, and so who may read it.

One rule for starting a discussion (``discussions.services.discussion_create``) and
for moving one later (``moderation.services.discussion_retag``), so a move can never
put a discussion where it could not have been posted:

- Communities are named by hashtag (aliases resolved) as the person placing the
  discussion may know of them: a private community they are not in reads as none.
- One to ``MAX_HASHTAGS`` communities.
- Whoever places it may post in each community it enters: not banned there, and a
  member of any community that is not open to all (staff excepted).
- Its author may post there too: a community that banned the author never receives
  their discussion, whoever moves it.
- A private community holds a discussion alone and makes it community-only.
- An author may not post a community-only discussion they could not read themselves.
  A moderator's move may take it out of its author's reach (they keep their words
  through their data export); that is why moves are audited and the author told.

A read-only rule: it raises ``ValidationError`` (keyed ``hashtags`` or ``visibility``)
and writes nothing.
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


def communities_named(viewer: User, typed: list[str], *, text: str = "") -> list[Community]:
    """The communities named in the hashtag field (each must be one ``viewer`` may know
    of) and those typed in ``text`` (only the ones that resolve; the rest stay plain
    text), one to ``MAX_HASHTAGS`` of them."""
    unknown: list[str] = []
    invalid: list[str] = []
    communities: dict[int, Community] = {}
    for raw in typed:
        try:
            name = normalise_hashtag(raw)
        except InvalidHashtag as error:
            invalid.append(str(error))
            continue
        community = community_resolve(name, viewer=viewer)
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
        if viewer.is_staff:
            message += f" As staff, you can create it first at /c/new/?hashtag={unknown[0].lstrip('#')}"
        raise ValidationError({"hashtags": message})
    for name in dict.fromkeys(hashtags_in_text(text)):
        community = community_resolve(name, viewer=viewer)
        if community is not None:
            communities.setdefault(community.pk, community)
    found = list(communities.values())
    _check_count(found)
    return found


def _check_count(communities: list[Community]) -> None:
    if not communities:
        raise ValidationError({"hashtags": "Please add at least one community hashtag, such as #mecfs."})
    if len(communities) > MAX_HASHTAGS:
        raise ValidationError({"hashtags": f"A discussion can sit in at most {MAX_HASHTAGS} communities."})


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


def _memberships(user: User, communities: list[Community]) -> dict[int, Membership]:
    return {
        membership.community_id: membership
        for membership in Membership.objects.filter(user=user, community__in=communities)
    }


def _entry_refusals(*, placer: User, author: User | None, entering: list[Community]) -> list[str]:
    """Why the discussion may not enter these communities: the placer or its author may not post there."""
    refused: list[str] = []
    placer_memberships = _memberships(placer, entering)
    author_memberships = {} if author is None or author.pk == placer.pk else _memberships(author, entering)
    for community in entering:
        membership = placer_memberships.get(community.pk)
        if membership is not None and membership.is_banned:
            refused.append(f"You cannot post in #{community.slug}: you have been banned from it.")
            continue
        gated = community.policy != Community.Policy.OPEN or community.professionals_only
        if gated and not placer.is_staff and not (membership is not None and membership.is_active):
            refused.append(f"Only members of #{community.slug} can post there. Join it first.")
            continue
        authors = author_memberships.get(community.pk)
        if authors is not None and authors.is_banned:
            refused.append(f"This discussion cannot go into #{community.slug}: its author is banned there.")
    return refused


def placement_for(
    *,
    author: User | None,
    communities: list[Community],
    visibility: str,
    mover: User | None = None,
    entering: list[Community] | None = None,
) -> Placement:
    """Check a discussion may sit in ``communities`` and settle who reads it.

    Posting: the author places it, in every one of ``communities``. A move: ``mover``
    places it, and ``entering`` (default: all of ``communities``) are the communities
    it is new to; it may stay where it already is. ``author`` is None once their
    account is gone. Raises ValidationError; returns the communities and the audience
    (community-only in a private community, whatever was asked).
    """
    placer = mover if mover is not None else author
    if placer is None:
        raise ValueError("a discussion is placed by its author or by a moderator moving it")
    _check_count(communities)
    refused = _entry_refusals(placer=placer, author=author, entering=communities if entering is None else entering)
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
    if visibility == Visibility.COMMUNITY and mover is None:
        refusal = community_only_refusal(member=placer, communities=communities)
        if refusal:
            raise ValidationError({"visibility": refusal})
    return Placement(communities=communities, visibility=visibility)
