"""Private conversations between members: one to one or a small group, with consent.

A conversation's participants are rows of ``Participant``; what each may see and do is decided
by that row (``status``) and by blocks between members, in ``conversations.selectors``. A first
message to someone who has never accepted a conversation with the sender is a request: the
recipient's row starts as ``REQUESTED`` and the sender is shown only that it was sent.
"""

from django.conf import settings
from django.db import models


class MessagingChoice(models.Model):
    """Who may start a conversation with a member; without a row, members who share a community."""

    class Audience(models.TextChoices):
        NOBODY = "nobody", "Nobody"
        SHARED_COMMUNITY = "shared_community", "Members who share a community with me"
        ANYONE = "anyone", "Anyone signed in"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging_choice")
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.SHARED_COMMUNITY)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.audience}"


class Conversation(models.Model):
    MAX_PARTICIPANTS = 8

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="conversations_started"
    )
    # Opened by a moderator from a flag or crisis item: shown as from the moderation team, and
    # never a request (a member in crisis must not have to accept help before reading it).
    from_moderation_team = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_message_at"]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    def get_absolute_url(self) -> str:
        return f"/messages/{self.pk}/"


class Participant(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Asked to talk"
        ACCEPTED = "accepted", "In the conversation"
        DECLINED = "declined", "Declined"
        LEFT = "left", "Left"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_seats")
    status = models.CharField(max_length=10, choices=Status.choices)
    # The newest message this member has seen, for unread counts.
    last_read_message_id = models.BigIntegerField(default=0)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_seat_per_member")]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id} ({self.status})"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    # Null once the author's account is erased with "keep my words as a former member's".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages_written"
    )
    body = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Emptied words: the author erased them, or staff removed them after a report.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.conversation_id}"


class MessageReport(models.Model):
    """A participant hands one message, with the messages around it, to staff."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for staff"
        CLOSED = "closed", "Handled"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_reports")
    reason = models.CharField(max_length=500)
    # The reporter fears someone in the conversation may be in crisis: staff are alerted at once.
    is_crisis = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="report_a_message_once")]

    def __str__(self) -> str:
        return f"report of message {self.message_id}"
