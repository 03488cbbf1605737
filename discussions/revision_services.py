"""The author's own edit history: removing the text of an earlier version for good."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from discussions.models import AuthorAction, Discussion, Reply, Revision
from discussions.post_checks import require_author


def revision_purge(*, acting_user: User, post: Discussion | Reply, number: int) -> Revision:
    """The author removes, for good, the text of version ``number`` (1 is the oldest)
    of their own discussion or reply.

    The row stays, blank and marked purged, so later versions keep their numbers.
    An ``AuthorAction`` records which version went, never its text. Moderation
    keeps what it keeps: a redaction's original stays in its moderation log entry
    until that entry's retention ends, and a post moderators removed, or one with a
    report still open, keeps its history for their review and any appeal.
    """
    require_author(acting_user, post)
    if post.status == Discussion.Status.REMOVED:
        raise PermissionDenied("Moderators removed this post, so its history is kept while they review it.")
    if post.flags.filter(status=post.flags.model.Status.OPEN).exists():
        # A report may be about what an earlier version said; the evidence stays until
        # a moderator has looked.
        raise PermissionDenied(
            "This post has been reported, so its earlier versions are kept until a moderator has reviewed it."
        )
    lookup = {"reply": post} if isinstance(post, Reply) else {"discussion": post}
    with transaction.atomic():
        revisions = list(Revision.objects.select_for_update().filter(**lookup).order_by("created_at", "pk"))
        if not 1 <= number <= len(revisions):
            raise ValidationError(f"There is no version {number} of this post.")
        revision = revisions[number - 1]
        if revision.purged_at is not None:
            return revision
        revision.title = ""
        revision.body = ""
        revision.purged_at = timezone.now()
        revision.save(update_fields=["title", "body", "purged_at"])
        AuthorAction.objects.create(
            actor=acting_user,
            kind=AuthorAction.Kind.PURGE_REVISION,
            discussion=post if isinstance(post, Discussion) else None,
            reply=post if isinstance(post, Reply) else None,
            revision_number=number,
        )
    return revision
