"""The moderation log as one moderator may read it, through their moderation scope
(``moderation.selectors.ModerationScope``): the entries filed under their communities
and those about their posts, and, on each entry, only what they may know of.
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import User
from community.models import Community
from community.selectors import community_list_visible_to
from moderation.models import ModerationAction
from moderation.selectors import moderation_scope_for


def moderation_log_for(viewer: User, community: Community | None = None) -> QuerySet[ModerationAction]:
    """Moderators see the actions in their communities and on their posts; staff see all."""
    scope = moderation_scope_for(viewer)
    if community is not None:
        scope = scope.narrowed_to(community)
    return scope.log_entries().select_related(
        "actor", "community", "discussion", "reply", "reply__discussion", "target_user"
    )


def log_entries_shown_to(viewer: User, entries: Iterable[ModerationAction]) -> None:
    """What of each entry the viewer may know, for the template. An entry filed under
    one of their communities may concern a post that is no longer theirs (moved into
    a private community they are not in, say), and one about their post may have been
    filed under a community they may not know of: neither that post's title nor that
    community's name is theirs to learn.

    Sets ``shown_discussion`` (the post's discussion when the post is in their scope,
    the same rule as the review page it links to), ``shown_community`` and filters the
    hashtags of re-tag entries.
    """
    entries = list(entries)
    scope = moderation_scope_for(viewer)
    known = set(community_list_visible_to(viewer).values_list("slug", flat=True))
    discussion_ids = {entry.reply.discussion_id if entry.reply else entry.discussion_id for entry in entries}
    discussion_ids.discard(None)
    theirs = set(scope.discussions().filter(pk__in=discussion_ids).values_list("pk", flat=True))
    for entry in entries:
        discussion = entry.reply.discussion if entry.reply else entry.discussion
        entry.shown_discussion = discussion if discussion is not None and discussion.pk in theirs else None
        entry.shown_community = entry.community if entry.community and entry.community.slug in known else None
        for side in (entry.before, entry.after):
            if isinstance(side, dict) and "hashtags" in side:
                side["hashtags"] = [tag for tag in side["hashtags"] if tag in known]
