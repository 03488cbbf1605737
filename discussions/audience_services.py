"""Changing who can read a discussion after it is posted: the author narrows at once
and widens only after being shown who that would be; moderators only narrow."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from community.models import Community
from discussions import events
from discussions.models import AuthorAction, Discussion, Visibility
from discussions.placement import community_only_refusal
from discussions.post_checks import checked_visibility
from discussions.search import search_index_update
from discussions.selectors import can_moderate, is_wider
from moderation.selectors import communities_of
from moderation.services import discussion_narrow_visibility
from spoonful import jobs


class AudienceConfirmationRequired(Exception):
    """The author asked for more people to read their discussion: they must first be
    shown, in plain words, who that is (``selectors.audience_description``), and
    ask again with ``confirmed=True``. Nothing has changed."""

    def __init__(self, visibility: str) -> None:
        super().__init__(visibility)
        self.visibility = visibility


def discussion_set_visibility(
    *, acting_user: User, discussion: Discussion, visibility: str, confirmed: bool = False, reason: str = ""
) -> Discussion:
    """Change who can read a discussion.

    The author narrows at once, and widens only with ``confirmed`` (otherwise
    ``AudienceConfirmationRequired``): a post written for a few is never opened
    up by anyone else, nor by a slip. Each change by the author is kept as an
    ``AuthorAction``. Moderators and staff only narrow, through
    ``moderation.services.discussion_narrow_visibility`` (two-factor, audited,
    the author told; ``reason`` goes with it). Discussions in a private
    community stay community-only.
    """
    checked_visibility(visibility)
    is_author = acting_user.is_authenticated and discussion.author_id == acting_user.pk
    if not is_author:
        if not can_moderate(acting_user, discussion):
            raise PermissionDenied("Only the author or a moderator can change who sees this.")
        discussion_narrow_visibility(
            acting_user=acting_user, discussion=discussion, visibility=visibility, reason=reason
        )
        return discussion
    in_private = discussion.tags.filter(community__policy=Community.Policy.PRIVATE).exists()
    if in_private and visibility != Visibility.COMMUNITY:
        raise ValidationError({"visibility": "Discussions in a private community are for its members only."})
    if visibility == Visibility.COMMUNITY:
        # Moderators and staff always keep reading; an author must not narrow themselves out.
        refusal = community_only_refusal(member=acting_user, communities=list(communities_of(discussion)))
        if refusal:
            raise ValidationError({"visibility": refusal})
    with transaction.atomic():
        # Locked and re-read: whether this widens is decided against the audience
        # as it is now, not as the page showed it (a moderator may have narrowed it).
        locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
        if visibility == locked.visibility:
            discussion.visibility = visibility
            return discussion
        if is_wider(visibility, locked.visibility) and not confirmed:
            raise AudienceConfirmationRequired(visibility)
        before = locked.visibility
        locked.visibility = visibility
        locked.save(update_fields=["visibility"])
        AuthorAction.objects.create(
            actor=acting_user,
            kind=AuthorAction.Kind.VISIBILITY,
            discussion=locked,
            before={"visibility": before},
            after={"visibility": visibility},
        )
        events.discussion_changed(discussion_id=locked.pk)
        jobs.enqueue(search_index_update, locked.pk)
    discussion.visibility = visibility
    return discussion
