"""Drafts that save themselves on the server as a member types (services and selectors).

A draft belongs to one member and one form: "new" (start a discussion) or
"reply-<discussion id>". Only its writer reads it, and a reply draft is shown only
while its writer may still see the discussion (the one visibility rule decides).
Nothing here is ever kept in the browser: drafts hold post content (PL-23).
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import User
from discussions.markdown import strip_control_characters
from discussions.models import Discussion, Draft, Reply
from discussions.selectors import Viewer, can_see_discussion, is_signed_in_member

NEW_DISCUSSION_KEY = "new"
DRAFT_KEY = re.compile(Draft.KEY_PATTERN)
# The fields each kind of form keeps; anything else sent is ignored.
NEW_FIELDS = ("title", "body", "hashtags", "content_warning")
REPLY_FIELDS = ("body", "content_warning")
FIELD_LIMITS = {
    "title": Draft.TITLE_MAX_LENGTH,
    "body": Draft.BODY_MAX_LENGTH,
    "hashtags": Draft.HASHTAGS_MAX_LENGTH,
    "content_warning": Draft.CONTENT_WARNING_MAX_LENGTH,
}
FIELD_NAMES = {"title": "title", "body": "text", "hashtags": "hashtags", "content_warning": "content warning"}


def reply_key(discussion_id: int) -> str:
    return Draft.reply_key(discussion_id)


def is_valid_key(key: str) -> bool:
    return len(key) <= 20 and DRAFT_KEY.fullmatch(key) is not None


def _check_key(key: str) -> None:
    if not is_valid_key(key):
        raise ValidationError({"key": 'A draft is for a new discussion ("new") or a reply ("reply-<discussion id>").'})


def _discussion_id(key: str) -> int | None:
    return int(key.removeprefix("reply-")) if key.startswith("reply-") else None


def _may_see_reply_target(user: Viewer, key: str) -> bool:
    discussion_id = _discussion_id(key)
    if discussion_id is None:
        return True
    # Only the primary key is read by the visibility rule.
    return can_see_discussion(user, Discussion(pk=discussion_id))


def _already_posted(user: User, key: str, submission_token: str) -> bool:
    """Whether the form this draft came from has been posted: a save that arrives
    after the post must not bring the posted text back as a draft."""
    if not submission_token:
        return False
    posts = Discussion.objects if key == NEW_DISCUSSION_KEY else Reply.objects
    return posts.filter(author=user, submission_token=submission_token[:64]).exists()


# --- Services -----------------------------------------------------------------------


def draft_save(*, user: User, key: str, submission_token: str = "", **fields: str) -> Draft | None:
    """Keep what the member has typed so far in the form named ``key``.

    Raises ValidationError for a bad key or a field over its limit (nothing is
    saved then), and Discussion.DoesNotExist for a reply draft to a discussion the
    member may not see (forbidden and missing alike). Fields the form does not have
    are ignored. An empty draft deletes the stored one. Returns None when nothing
    is stored: empty, or the form was already posted.
    """
    _check_key(key)
    allowed = NEW_FIELDS if key == NEW_DISCUSSION_KEY else REPLY_FIELDS
    values = {name: strip_control_characters(str(fields.get(name) or "")) for name in allowed}
    errors = {
        name: f"Please keep the {FIELD_NAMES[name]} under {FIELD_LIMITS[name]:,} characters."
        for name, value in values.items()
        if len(value) > FIELD_LIMITS[name]
    }
    if errors:
        raise ValidationError(errors)
    if not _may_see_reply_target(user, key):
        raise Discussion.DoesNotExist
    if _already_posted(user, key, submission_token):
        return None
    if not any(value.strip() for value in values.values()):
        draft_discard(user=user, key=key)
        return None
    draft, _ = Draft.objects.update_or_create(user=user, key=key, defaults=values)
    return draft


def draft_discard(*, user: User, key: str) -> None:
    """Forget the member's draft for this form (after posting, or when they ask)."""
    _check_key(key)
    Draft.objects.filter(user=user, key=key).delete()


# --- Selectors ----------------------------------------------------------------------


def draft_get(user: Viewer, key: str) -> Draft | None:
    """The member's own draft for this form, or None. A reply draft for a discussion
    the member may no longer see is never returned."""
    if not is_signed_in_member(user) or not is_valid_key(key):
        return None
    draft = Draft.objects.filter(user=user, key=key).first()
    if draft is None or not _may_see_reply_target(user, key):
        return None
    return draft


def draft_list_for_export(user: User) -> QuerySet[Draft]:
    """Every draft of the member, for their data export (reply drafts name a discussion by id only)."""
    return Draft.objects.filter(user=user).order_by("key")
