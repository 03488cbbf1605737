import secrets
from collections.abc import Sequence

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import Storage, storages
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from accounts.models import PrivateFileStorage
from community.models import Community


def join_hashtags(hashtags: Sequence[str]) -> str:
    """ "#a", "#a and #b", "#a, #b and #c"."""
    named = [f"#{hashtag.lstrip('#')}" for hashtag in hashtags]
    if len(named) <= 1:
        return "".join(named)
    return ", ".join(named[:-1]) + " and " + named[-1]


class Visibility(models.TextChoices):
    """Who may read a discussion. The most private choice is the default.

    The labels say who that is in fact: with open sign-up, "members" is anyone who
    makes an account, which patients read as "members of this community".
    """

    PUBLIC = "public", "Anyone, including search engines"
    MEMBERS = "members", "Anyone signed in to Spoonful (anyone can sign up)"
    COMMUNITY = "community", "Only members of its communities"

    def audience(self, hashtags: Sequence[str] = ()) -> str:
        """The label, naming the communities when they are known."""
        if self is Visibility.COMMUNITY and hashtags:
            return f"Only members of {join_hashtags(hashtags)}"
        return self.label


class DiscussionTag(TaggedItemBase):
    """A discussion's hashtag. A plain foreign key (not taggit's generic one) so
    visibility queries join directly."""

    content_object = models.ForeignKey("Discussion", on_delete=models.CASCADE, related_name="tagged_items")


class Post(models.Model):
    """What discussions and replies share: an author, markdown, and how it is shown."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HELD = "held", "Waiting for a moderator"
        HIDDEN = "hidden", "Hidden pending review"
        REMOVED = "removed", "Removed by moderators"
        DELETED = "deleted", "Deleted by its author"

    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField()
    body_html = models.TextField(editable=False)
    is_anonymous = models.BooleanField(default=False)
    as_professional = models.BooleanField(default=False)
    content_warning = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    removal_reason = models.CharField(max_length=500, blank=True)
    removal_guideline = models.PositiveSmallIntegerField(null=True, blank=True)
    # When its author deleted it or moderators removed it (empty again once restored): the
    # retention periods count from here (discussions.retention).
    tombstoned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # A token from the form: the same submission twice yields one post.
    submission_token = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_tombstone(self) -> bool:
        return self.status in (self.Status.REMOVED, self.Status.DELETED)


class StoredSearchVectorField(SearchVectorField):
    """A tsvector column that only discussions.search.search_index_update writes.

    ``Model.save()`` writes every column; an instance loaded (or created) before the
    index was last updated would put a stale or empty vector back. Saving leaves the
    column as the database has it instead.
    """

    def pre_save(self, model_instance, add):
        if add:
            return None
        return models.F(self.attname)


class Discussion(Post):
    title = models.CharField(max_length=200)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.COMMUNITY)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    # The author asked for a professional view: listed for verified clinicians until one replies.
    wants_professional = models.BooleanField("ask for a professional view", default=False)
    last_activity_at = models.DateTimeField(db_index=True)
    # Counters kept by the services: the next reply number, and how many replies
    # are published (so lists never count what a reader cannot see).
    last_reply_number = models.PositiveIntegerField(default=0)
    published_reply_count = models.PositiveIntegerField(default=0)
    # Set once any of its posts has an attachment (never cleared): the page of a discussion
    # without any skips looking for them.
    has_attachments = models.BooleanField(default=False, editable=False)

    tags = TaggableManager(through=DiscussionTag, blank=True, verbose_name="hashtags")
    # PostgreSQL full text: title (A), body (B) and published replies (C), written by
    # discussions.search.search_index_update after each change. Its GIN index is
    # created by a PostgreSQL-only migration (SQLite has no tsvector and ignores it).
    search_vector = StoredSearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["status", "visibility", "-last_activity_at"]),
            models.Index(
                fields=["tombstoned_at"], condition=models.Q(tombstoned_at__isnull=False), name="discussion_tombstoned"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                condition=~models.Q(submission_token=""),
                name="discussion_submitted_once",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("discussions:detail", kwargs={"pk": self.pk, "slug": self.slug})

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or "discussion"

    @property
    def is_public(self) -> bool:
        """Anyone may read it, search engines included: published, public, and in no
        private community. Open Graph tags, robots and the sitemap go by this (the
        sitemap through ``discussion_list_visible_to(AnonymousUser())``, its query form)."""
        return self.is_published and self.visibility == Visibility.PUBLIC and not self.in_private_community

    @cached_property
    def in_private_community(self) -> bool:
        # Cached per instance; a view that already read the tags may set it to save a query.
        return self.tags.filter(community__policy=Community.Policy.PRIVATE).exists()


class Reply(Post):
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="replies")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    # Thread order as a sortable string of zero-padded numbers ("000003.000007"),
    # so one indexed ORDER BY gives the tree and pages can be cut anywhere.
    path = models.CharField(max_length=255)
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "replies"
        constraints = [
            models.UniqueConstraint(fields=["discussion", "number"], name="reply_number_unique_in_discussion"),
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                condition=~models.Q(submission_token=""),
                name="reply_submitted_once",
            ),
        ]
        indexes = [
            models.Index(fields=["discussion", "path"]),
            models.Index(
                fields=["tombstoned_at"], condition=models.Q(tombstoned_at__isnull=False), name="reply_tombstoned"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} in {self.discussion_id}"

    def get_absolute_url(self) -> str:
        return f"{self.discussion.get_absolute_url()}#reply-{self.number}"


class Revision(models.Model):
    """An earlier version of a discussion or reply, kept when its author edits it.

    The author may purge one: its text goes, the row stays (with ``purged_at``) so
    the versions after it keep their numbers.
    """

    discussion = models.ForeignKey(
        Discussion, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discussion__isnull=False, reply__isnull=True)
                | models.Q(discussion__isnull=True, reply__isnull=False),
                name="revision_of_exactly_one_post",
            )
        ]

    def __str__(self) -> str:
        target = f"discussion {self.discussion_id}" if self.discussion_id else f"reply {self.reply_id}"
        return f"revision of {target}"


class AuthorAction(models.Model):
    """The audit trail of what authors do to their own posts that others may need to
    account for later: changing who can read a discussion, purging an earlier version.

    Kept apart from the moderation log on purpose: that log is read by moderators,
    and a row naming the author of an anonymous post there would unmask them. It
    holds no post text, only which post, which version and the audience before and
    after. Append-only, like ``moderation.ModerationAction``.
    """

    class Kind(models.TextChoices):
        VISIBILITY = "visibility", "Changed who can read"
        PURGE_REVISION = "purge_revision", "Removed the text of an earlier version"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    discussion = models.ForeignKey(Discussion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The version's number as the author saw it (1 is the oldest), never its text.
    revision_number = models.PositiveIntegerField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Author audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Author audit entries cannot be deleted.")


# --- Discovery ---------------------------------------------------------------------


class RelatedDiscussion(models.Model):
    """A precomputed "you may also like" candidate: ids and a score only.

    Written on change by discussions.related; read through the visibility rule,
    so a candidate the viewer may not see is simply never shown.
    """

    source = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="related_candidates")
    target = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="related_sources")
    score = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="related_discussion_once"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="related_not_itself"),
        ]
        indexes = [models.Index(fields=["source", "-score"])]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id} ({self.score})"


# --- Drafts ------------------------------------------------------------------------


class Draft(models.Model):
    """What a member is still writing, saved as they type so a timeout or a crash
    loses nothing. One per member and form; only its writer ever reads it.

    ``key`` names the form: "new" (start a discussion) or "reply-<discussion id>".
    """

    KEY_PATTERN = r"new|reply-[1-9][0-9]{0,9}"
    # The same bounds as the real forms (discussions.markdown and discussions.forms).
    TITLE_MAX_LENGTH = 200
    BODY_MAX_LENGTH = 20_000
    HASHTAGS_MAX_LENGTH = 1000
    CONTENT_WARNING_MAX_LENGTH = 80

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    key = models.CharField(
        max_length=20,
        validators=[RegexValidator(rf"\A(?:{KEY_PATTERN})\Z", "A draft is for a new discussion or a reply.")],
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    hashtags = models.CharField(max_length=HASHTAGS_MAX_LENGTH, blank=True)
    content_warning = models.CharField(max_length=CONTENT_WARNING_MAX_LENGTH, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_draft_per_form")]

    def __str__(self) -> str:
        return f"draft {self.key} of {self.user_id}"

    @staticmethod
    def reply_key(discussion_id: int) -> str:
        """The key of the reply form of a discussion."""
        return f"reply-{discussion_id}"


# --- Reading positions ---------------------------------------------------------------


class ReadingPosition(models.Model):
    """The highest reply number a member has had on screen in a discussion, written
    when they open its page (one upsert, ``services.reading_position_record``). In
    low-energy mode the page opens at the first reply after it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        # Named here because services.READING_POSITION_UPSERT names it in SQL.
        db_table = "discussions_readingposition"
        constraints = [models.UniqueConstraint(fields=["user", "discussion"], name="one_reading_position")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.discussion_id} to #{self.last_number}"


# --- Reactions -----------------------------------------------------------------------


class Reaction(models.Model):
    """One member's kind word on a discussion or a reply, from a small fixed set; at
    most one of each kind per member and post. Never anonymous: who reacted is shown
    to the members who may read the post (``selectors.reaction_list_visible_to``)."""

    class Kind(models.TextChoices):
        ME_TOO = "me_too", "Me too"
        THANK_YOU = "thank_you", "Thank you"
        STRENGTH = "strength", "Sending strength"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    discussion = models.ForeignKey(
        Discussion, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions"
    )
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discussion__isnull=False, reply__isnull=True)
                | models.Q(discussion__isnull=True, reply__isnull=False),
                name="reaction_on_exactly_one_post",
            ),
            models.UniqueConstraint(
                fields=["user", "discussion", "kind"],
                condition=models.Q(discussion__isnull=False),
                name="one_reaction_per_kind_per_discussion",
            ),
            models.UniqueConstraint(
                fields=["user", "reply", "kind"],
                condition=models.Q(reply__isnull=False),
                name="one_reaction_per_kind_per_reply",
            ),
        ]

    def __str__(self) -> str:
        post = f"reply {self.reply_id}" if self.reply_id else f"discussion {self.discussion_id}"
        return f"{self.user_id} {self.kind} on {post}"


# --- Saved and followed discussions ----------------------------------------------------------


class Bookmark(models.Model):
    """A discussion a member saved to come back to, with an optional note for themselves.
    Private to the member: only their own /saved/ page and their data export show it."""

    NOTE_MAX_LENGTH = 300

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks")
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "discussion"], name="one_bookmark_per_discussion")]
        indexes = [models.Index(fields=["user", "-created_at"], name="bookmark_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id} saved {self.discussion_id}"


class DiscussionFollow(models.Model):
    """A member's choice to follow a discussion (their /following/ page lists it with
    its unread replies). Replying or starting it follows it; unfollowing keeps the row
    with ``is_following`` off, so a later reply does not follow it again against the
    member's word."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discussion_follows")
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="follows")
    is_following = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "discussion"], name="one_follow_per_discussion")]

    def __str__(self) -> str:
        return f"{self.user_id} {'follows' if self.is_following else 'unfollowed'} {self.discussion_id}"


def attachment_storage() -> Storage:
    """Where attached files live: the ``attachments`` entry of STORAGES when one is
    configured (an S3-compatible bucket in production), else private local disk.
    Neither has a URL a browser could use: files are served by
    ``discussions.attachment_views``, which applies the post's visibility rule.

    A callable so migrations name this function rather than a configured instance.
    """
    if "attachments" in settings.STORAGES:
        return storages["attachments"]
    return PrivateFileStorage()


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # Unguessable and unrelated to the member's file name, which may say who they are.
    return f"attachments/{secrets.token_urlsafe(24)}.{instance.extension}"


class Attachment(models.Model):
    """A photo or PDF attached to a discussion's opening post (``reply`` empty) or to
    one of its replies. ``discussion`` is always set so a file's URL names the
    discussion it belongs to and an id guessed under another discussion finds nothing.

    Images are stored re-encoded without metadata; PDFs are rewritten page by page.
    A moderator may remove one (``removed_at``): the file goes, the row stays as a
    tombstone so the post says something was removed.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", "Photo"
        PDF = "pdf", "PDF document"

    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    file = models.FileField(storage=attachment_storage, upload_to=attachment_upload_to, max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    # The member's file name, cleaned; only ever used for Content-Disposition and the link text.
    filename = models.CharField(max_length=100)
    alt_text = models.CharField(max_length=500, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["discussion", "reply"])]

    def __str__(self) -> str:
        post = f"reply {self.reply_id}" if self.reply_id else f"discussion {self.discussion_id}"
        return f"{self.kind} {self.pk} on {post}"

    def get_absolute_url(self) -> str:
        return reverse("discussions:attachment", kwargs={"pk": self.discussion_id, "attachment_id": self.pk})

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}.get(
            self.content_type, "bin"
        )

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE
