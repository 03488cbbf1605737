"""How long discussions keep what members wrote once it is no longer wanted (security catalog DA-07).

Scheduled jobs (``spoonful/schedules.py``), each safe to run twice: a second run finds nothing left to do.

- A draft nobody has saved for ``DRAFT_RETENTION_DAYS`` is deleted.
- A tombstone (a post deleted by its author, or removed by moderators) keeps its row, so threads keep their
  numbers, but loses its words: title, text and content warning, its earlier versions, the links to
  hashtags of no community (words its author typed), and what is left of its attachments (a removal keeps
  them for review). Only moderators' pages ever showed those words; readers see the same tombstone before
  and after. A removal waits longer than a deletion, and for any appeal still
  open about the post, so a moderator deciding an appeal still sees what was removed.
- A hashtag of no community that no discussion uses any more is deleted (``hashtag_delete_unused``, part of
  the account-erasure sweep): a hashtag only a deleted member used disappears.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from discussions.attachments import attachments_delete, attachments_of_posts
from discussions.models import Attachment, Discussion, DiscussionTag, Draft, Reply, Revision
from discussions.search import search_index_update
from moderation.models import Appeal
from spoonful import jobs

DRAFT_RETENTION_DAYS = 90
# Counted from ``tombstoned_at``: when the author deleted the post, or moderators removed it.
DELETED_POST_RETENTION_DAYS = 30
REMOVED_POST_RETENTION_DAYS = 90

Post = Discussion | Reply


def draft_delete_stale(*, now: datetime | None = None) -> int:
    """Delete drafts not saved for ``DRAFT_RETENTION_DAYS``; returns how many."""
    now = now or timezone.now()
    deleted, _ = Draft.objects.filter(updated_at__lt=now - timedelta(days=DRAFT_RETENTION_DAYS)).delete()
    return deleted


def _free_tag_links() -> QuerySet[DiscussionTag]:
    return DiscussionTag.objects.filter(tag__community__isnull=True)


def _has_words(model: type[Post]) -> Q:
    words = ~Q(body="") | ~Q(body_html="") | ~Q(content_warning="")
    words |= Exists(Revision.objects.filter(**{model._meta.model_name: OuterRef("pk")}))
    if model is Reply:
        words |= Exists(Attachment.objects.filter(reply=OuterRef("pk")))
    else:
        words |= Exists(Attachment.objects.filter(discussion=OuterRef("pk"), reply__isnull=True))
    if model is Discussion:
        words |= ~Q(title="") | Exists(_free_tag_links().filter(content_object=OuterRef("pk")))
    return words


def _tombstones_past_retention(model: type[Post], now: datetime) -> QuerySet[Post]:
    """Tombstones whose retention period is over and which still hold words."""
    under_appeal = Exists(
        Appeal.objects.filter(status=Appeal.Status.OPEN, **{f"action__{model._meta.model_name}": OuterRef("pk")})
    )
    deleted = Q(status=model.Status.DELETED, tombstoned_at__lte=now - timedelta(days=DELETED_POST_RETENTION_DAYS))
    removed = (
        Q(status=model.Status.REMOVED, tombstoned_at__lte=now - timedelta(days=REMOVED_POST_RETENTION_DAYS))
        & ~under_appeal
    )
    return model.objects.filter((deleted | removed) & _has_words(model))


def _purge(model: type[Post], now: datetime) -> list[int]:
    """Empty the expired tombstones of one model and queue their discussions' index updates; returns their ids."""
    with transaction.atomic():
        # Locked: a moderator restoring one of these waits, then finds it as this run left it.
        expired = _tombstones_past_retention(model, now).select_for_update(of=("self",))
        posts = list(expired.values_list("pk", "discussion_id" if model is Reply else "pk"))
        if not posts:
            return []
        ids = [pk for pk, _ in posts]
        Revision.objects.filter(**{f"{model._meta.model_name}_id__in": ids}).delete()
        attachments_delete(attachments_of_posts(**{"discussion_ids" if model is Discussion else "reply_ids": ids}))
        blank = {"body": "", "body_html": "", "content_warning": ""}
        if model is Discussion:
            _free_tag_links().filter(content_object_id__in=ids).delete()
            blank["title"] = ""
        model.objects.filter(pk__in=ids).update(**blank)
        for discussion_id in sorted({discussion_id for _, discussion_id in posts}):
            jobs.enqueue(search_index_update, discussion_id)
    return ids


def tombstone_purge_expired(*, now: datetime | None = None) -> int:
    """Take the words out of posts deleted by their author more than ``DELETED_POST_RETENTION_DAYS``
    ago, or removed by moderators more than ``REMOVED_POST_RETENTION_DAYS`` ago and not under an
    open appeal. Their rows stay, as tombstones. Returns how many posts lost their words."""
    now = now or timezone.now()
    return len(_purge(Discussion, now)) + len(_purge(Reply, now))


def hashtag_delete_unused() -> int:
    """Delete hashtags that name no community and that nothing is tagged with; returns how many."""
    unused = Tag.objects.filter(community__isnull=True).filter(
        ~Exists(DiscussionTag.objects.filter(tag=OuterRef("pk"))),
        ~Exists(TaggedItem.objects.filter(tag=OuterRef("pk"))),
    )
    deleted, _ = unused.delete()
    return deleted
