from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase


class Visibility(models.TextChoices):
    """Who may read a discussion. The most private choice is the default."""

    PUBLIC = "public", "Public: anyone, including search engines"
    MEMBERS = "members", "Members: anyone signed in"
    COMMUNITY = "community", "Community: members of its communities only"


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


class Discussion(Post):
    title = models.CharField(max_length=200)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.COMMUNITY)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField(db_index=True)
    # Counters kept by the services: the next reply number, and how many replies
    # are published (so lists never count what a reader cannot see).
    last_reply_number = models.PositiveIntegerField(default=0)
    published_reply_count = models.PositiveIntegerField(default=0)

    tags = TaggableManager(through=DiscussionTag, blank=True, verbose_name="hashtags")

    class Meta:
        indexes = [
            models.Index(fields=["status", "visibility", "-last_activity_at"]),
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
        indexes = [models.Index(fields=["discussion", "path"])]

    def __str__(self) -> str:
        return f"#{self.number} in {self.discussion_id}"

    def get_absolute_url(self) -> str:
        return f"{self.discussion.get_absolute_url()}#reply-{self.number}"


class Revision(models.Model):
    """An earlier version of a discussion or reply, kept when its author edits it."""

    discussion = models.ForeignKey(
        Discussion, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

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
