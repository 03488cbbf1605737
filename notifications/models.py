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
        ROLE_CHANGE = "role_change", "Changes to my role as a moderator"
        CRISIS_ESCALATION = "crisis_escalation", "Crisis alerts nobody took in time"
        VERIFICATION_APPLICATION = "verification_application", "New professional verification applications"
        APPEAL_RECEIVED = "appeal_received", "Appeals waiting for an answer"
        QUEUE_WAITING = "queue_waiting", "A moderation queue waiting too long"
        PRIVATE_MESSAGE = "private_message", "Private messages and message requests"
        MESSAGE_REPORT = "message_report", "Reported private messages and requests for a check-in (staff)"

    class EmailStatus(models.TextChoices):
        NONE = "none", "Not emailed"
        IMMEDIATE = "immediate", "Waiting to be emailed now"
        DIGEST = "digest", "Waiting for the daily digest"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Emailed"
        SKIPPED = "skipped", "Not emailed: no longer readable or switched off"
        HELD = "held", "Waiting for the member's quiet hours to end"

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
    # When a push job took it (and pushed it to the member's devices, or left it unpushed:
    # quiet hours, switched off); a second run of the job finds it taken and pushes nothing.
    push_claimed_at = models.DateTimeField(null=True, blank=True)
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


class QuietHours(models.Model):
    """Hours of the day when a member gets no push and no email (they wait until the hours end), in the
    time zone of their ``DigestTime``. ``start_hour`` to ``end_hour``, wrapping past midnight when the
    start is later (21 to 9). No row means no quiet hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="quiet_hours"
    )
    start_hour = models.PositiveSmallIntegerField(validators=[MaxValueValidator(23)])
    end_hour = models.PositiveSmallIntegerField(validators=[MaxValueValidator(23)])

    class Meta:
        verbose_name_plural = "quiet hours"
        constraints = [
            models.CheckConstraint(condition=~models.Q(start_hour=models.F("end_hour")), name="quiet_hours_not_empty")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: quiet {self.start_hour:02d}:00-{self.end_hour:02d}:00"

    def covers(self, hour: int) -> bool:
        """Whether a local hour of the day (0-23) falls inside these quiet hours."""
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


class PushSubscription(models.Model):
    """One browser (device) of a member that receives Web Push, as its PushManager described it.

    An endpoint belongs to one member at a time: a browser that signs in as someone else and
    subscribes again moves to them. The push service's 404 or 410 deletes the row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1024, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=50)
    # "Firefox on Android": what the settings page calls the device, from its User-Agent.
    label = models.CharField(max_length=60, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["user", "enabled"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.label or 'a browser'}"

    def as_subscription_info(self) -> dict:
        """What pywebpush takes: the browser's PushSubscription.toJSON() shape."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


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
