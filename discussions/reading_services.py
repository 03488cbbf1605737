"""A member's own reading state: what they saved (with a note) and what they follow.

Private to the member: nothing here is shown to anyone else, audited or broadcast. Every
write names a discussion the member may read now (the caller fetched it through
``discussions.selectors``); how far they have read is ``services.reading_position_record``.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from discussions.models import Bookmark, Discussion, DiscussionFollow


def _checked_note(note: str) -> str:
    note = " ".join(note.split())
    if len(note) > Bookmark.NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {Bookmark.NOTE_MAX_LENGTH} characters (it has {len(note)})."})
    return note


@transaction.atomic
def bookmark_save(*, user: User, discussion: Discussion, note: str = "") -> Bookmark:
    """Save the discussion to the member's /saved/ page, or change the note of one they
    saved. Raises ValidationError (``note``) for a note over ``Bookmark.NOTE_MAX_LENGTH``."""
    bookmark, _ = Bookmark.objects.update_or_create(
        user=user, discussion=discussion, defaults={"note": _checked_note(note)}
    )
    return bookmark


def bookmark_remove(*, user: User, discussion: Discussion) -> None:
    Bookmark.objects.filter(user=user, discussion=discussion).delete()


def discussion_follow(*, user: User, discussion: Discussion) -> None:
    """Follow the discussion (again): the member asked for it, so an earlier unfollow gives way."""
    DiscussionFollow.objects.update_or_create(user=user, discussion=discussion, defaults={"is_following": True})


def discussion_unfollow(*, user: User, discussion: Discussion) -> None:
    """Stop following; the row stays (off) so that replying later does not follow it again."""
    DiscussionFollow.objects.update_or_create(user=user, discussion=discussion, defaults={"is_following": False})


def discussion_follow_by_posting(*, user: User, discussion_id: int) -> None:
    """Posting in a discussion follows it, unless the member unfollowed it before: one
    INSERT that leaves an existing row (on or off) as it is. Called inside the posting
    transaction."""
    DiscussionFollow.objects.bulk_create(
        [DiscussionFollow(user=user, discussion_id=discussion_id)], ignore_conflicts=True
    )
