"""Notifications: what a member should know about, their choices, and the hashtags they follow.

The tables keep the names they had in ``discussions`` (``db_table``): the models moved
with state-only migrations, so an existing database changes nothing.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from discussions.models import Discussion, Reply


class Notification(models.Model):
    """Something a member should know about. It names posts by id only; what is
    shown is decided at read time through the visibility rule."""

    class Kind(models.TextChoices):
        REPLY_TO_DISCUSSION = "reply_to_discussion", "Replies to my discussions"
        REPLY_TO_REPLY = "reply_to_reply", "Replies to my replies"
        MENTION = "mention", "Mentions of me"
        FOLLOWED_HASHTAG = "followed_hashtag", "New discussions in hashtags I follow"
        VERIFICATION_DECISION = "verification_decision", "Decisions about my professional verification"
        MODERATION_DECISION = "moderation_decision", "Moderation decisions about my posts"
        JOIN_REQUEST_DECISION = "join_request_decision", "Decisions about my requests to join"
        CRISIS_ALERT = "crisis_alert", "Crisis alerts in communities I moderate"

    class EmailStatus(models.TextChoices):
        NONE = "none", "Not emailed"
        IMMEDIATE = "immediate", "Waiting to be emailed now"
        DIGEST = "digest", "Waiting for the daily digest"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Emailed"
        SKIPPED = "skipped", "Not emailed: no longer readable or switched off"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Who caused it; always empty for anonymous posts, so nothing can name their author.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discussion = models.ForeignKey(
        Discussion, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    # For decisions (verification, moderation, join requests): a short text written by our
    # own code and where to read more. Never post content.
    message = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=300, blank=True)
    # False when the member switched this kind off in the app but still wants the email.
    in_app = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # When a job moved it to SENDING: a digest run takes over a claim older than its lease
    # (a worker died mid-send) instead of leaving the email unsent for ever.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "discussions_notification"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["email_status", "recipient"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """A member's choice for one kind. No row means the defaults in notifications.preferences."""

    class Email(models.TextChoices):
        OFF = "off", "No email"
        IMMEDIATE = "immediate", "Email me straight away"
        DIGEST = "digest", "Once a day, in a digest"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=Notification.Kind.choices)
    in_app = models.BooleanField(default=True)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.OFF)

    class Meta:
        db_table = "discussions_notificationpreference"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: in_app={self.in_app} email={self.email}"


class DigestTime(models.Model):
    """When a member's daily digest goes out: an hour in their own time zone. No row means
    the defaults (``notifications.preferences.DEFAULT_DIGEST_HOUR``, UTC)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="digest_time"
    )
    hour = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(23)])
    time_zone = models.CharField(max_length=64, default="UTC")
    # The member's local date of the last digest: one a day, whichever worker gets there first.
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.hour:02d}:00 {self.time_zone}"


class HashtagFollow(models.Model):
    """A member follows a community's hashtag to hear of new discussions in it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hashtag_follows")
    community = models.ForeignKey("community.Community", on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "discussions_hashtagfollow"
        constraints = [models.UniqueConstraint(fields=["user", "community"], name="follow_hashtag_once")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.community_id}"
