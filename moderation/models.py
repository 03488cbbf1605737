"""Moderation and safety.

Everything here is written through the moderation services (``post_actions``,
``member_actions``, ``services``, ``flags``, ``appeals``, ``screening``), which take the
acting member and leave a ModerationAction row in the same transaction (``audit``).
The tables keep the names they had in ``community`` (``db_table``).
"""

from django.conf import settings
from django.db import models

from community.models import Community
from moderation.crisis import validate_keyword_pattern


class CrisisResource(models.Model):
    """Where to find help right now, shown to a poster whose words suggest crisis.

    ``region`` is an ISO 3166 code ("GB", "US"); an empty region is the site
    default, shown when nothing matches the poster's region.
    """

    region = models.CharField(max_length=2, blank=True, help_text="Two-letter country code; blank for everywhere.")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    url = models.URLField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "community_crisisresource"
        ordering = ["region", "order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.region or 'everywhere'})"


class Flag(models.Model):
    """A member's (or the screening's) report that a post needs a moderator."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        HARASSMENT = "harassment", "Harassment or abuse"
        MISINFORMATION = "misinformation", "Medical misinformation"
        PERSONAL_DATA = "personal_data", "Personal data (mine or someone else's)"
        CRISIS = "crisis", "Someone may be in crisis or at risk of self-harm"
        GUIDELINE = "guideline", "Breaks a community guideline"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Received, waiting for a moderator"
        ACTIONED = "actioned", "A moderator acted on it"
        DISMISSED = "dismissed", "A moderator looked and left the post as it is"

    # Null for flags raised by the posting-time screening (keyword rules, crisis words).
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    discussion = models.ForeignKey(
        "discussions.Discussion", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reply = models.ForeignKey(
        "discussions.Reply", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    guideline = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=200, blank=True, help_text="What was decided, as the flagger sees it.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # For a crisis flag: when its moderators were alerted. The alert job sets it in the
    # transaction that writes the alerts, so a second run of the job alerts nobody twice.
    alerted_at = models.DateTimeField(null=True, blank=True)
    # Who first took a crisis alert ("I'm on it"), and when; an alert nobody takes in
    # CRISIS_ESCALATION_MINUTES goes to all staff, once (escalated_at).
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_flag"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discussion__isnull=False, reply__isnull=True)
                | models.Q(discussion__isnull=True, reply__isnull=False),
                name="flag_on_exactly_one_post",
            ),
            models.UniqueConstraint(
                fields=["flagger", "discussion"],
                condition=models.Q(flagger__isnull=False, discussion__isnull=False),
                name="one_flag_per_member_per_discussion",
            ),
            models.UniqueConstraint(
                fields=["flagger", "reply"],
                condition=models.Q(flagger__isnull=False, reply__isnull=False),
                name="one_flag_per_member_per_reply",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        target = f"discussion {self.discussion_id}" if self.discussion_id else f"reply {self.reply_id}"
        return f"{self.get_reason_display()} flag on {target}"

    @property
    def post(self):
        return self.discussion if self.discussion_id else self.reply

    @property
    def is_system(self) -> bool:
        return self.flagger_id is None

    @property
    def is_crisis(self) -> bool:
        return self.reason == self.Reason.CRISIS


class ModerationAction(models.Model):
    """The audit trail: one row per moderation action or reveal, never edited.

    Foreign keys are SET_NULL so the record outlives what it is about; the
    ``before``/``after`` snapshots say what the target looked like. Redactions
    keep the removed text in ``before`` only until ``purge_after``.
    """

    class Kind(models.TextChoices):
        APPROVE = "approve", "Approved"
        HIDE = "hide", "Hid pending review"
        REMOVE = "remove", "Removed"
        RESTORE = "restore", "Restored"
        REDACT = "redact", "Redacted personal data"
        REMOVE_ATTACHMENT = "remove_attachment", "Removed an attachment"
        LOCK = "lock", "Locked"
        UNLOCK = "unlock", "Unlocked"
        PIN = "pin", "Pinned"
        UNPIN = "unpin", "Unpinned"
        RETAG = "retag", "Moved or re-tagged"
        VISIBILITY = "visibility", "Narrowed who can read"
        DISMISS_FLAGS = "dismiss", "Dismissed flags"
        WARN = "warn", "Warned"
        MUTE = "mute", "Muted"
        BAN = "ban", "Banned from the community"
        SUSPEND = "suspend", "Suspended from the site"
        LIFT = "lift", "Lifted a sanction"
        REVEAL = "reveal", "Revealed an anonymous author"
        JOIN_APPROVE = "join_approve", "Accepted a join request"
        JOIN_DECLINE = "join_decline", "Declined a join request"
        APPEAL_UPHOLD = "appeal_uphold", "Upheld after appeal"
        APPEAL_OVERTURN = "appeal_overturn", "Overturned after appeal"
        KEYWORD_RULE = "keyword_rule", "Changed a keyword rule"
        POLICY = "policy", "Changed who can join or read a community"
        COMMUNITY_SETTINGS = "community_settings", "Changed a community's settings"
        ALIAS = "alias", "Decided another name for a community"
        MODERATOR_APPOINT = "moderator_appoint", "Appointed a moderator"
        MODERATOR_DISMISS = "moderator_dismiss", "Removed a moderator"
        CRISIS_RESOURCE = "crisis_resource", "Changed a crisis resource"
        CRISIS_ACKNOWLEDGE = "crisis_ack", "Took a crisis alert"
        ON_CALL = "on_call", "Went on or off call"
        REACH_OUT = "reach_out", "Reached out to a member privately"
        MESSAGE_REPORT = "message_report", "Handled a reported private message"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="moderation_actions"
    )
    discussion = models.ForeignKey(
        "discussions.Discussion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply = models.ForeignKey("discussions.Reply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    guideline = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "community_moderationaction"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        # Append-only: an existing row is never rewritten through the ORM's save().
        if self.pk is not None and not self._state.adding:
            raise ValueError("Moderation audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Moderation audit entries cannot be deleted.")


class Sanction(models.Model):
    """A measure against a member: in one community, or site-wide when community is null."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        MUTE = "mute", "Muted"
        BAN = "ban", "Banned"
        SUSPENSION = "suspension", "Suspended from the site"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    until = models.DateTimeField(null=True, blank=True, help_text="Empty: permanent.")
    reason = models.CharField(max_length=500, blank=True)
    guideline = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_sanction"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "kind", "lifted_at"])]

    def __str__(self) -> str:
        where = self.community or "the site"
        return f"{self.get_kind_display()} of {self.user} in {where}"


class ModerationNotice(models.Model):
    """What a member is told when a moderator acts on their content or account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_notices")
    action = models.ForeignKey(ModerationAction, on_delete=models.PROTECT, related_name="notices")
    message = models.CharField(max_length=300)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_moderationnotice"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "action"], name="one_notice_per_action_per_member")]

    def __str__(self) -> str:
        return f"notice to {self.user_id} about action {self.action_id}"


class Appeal(models.Model):
    """A member's one reply to a moderation action taken against them."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a moderator"
        UPHELD = "upheld", "The decision stands"
        OVERTURNED = "overturned", "The decision was reversed"

    action = models.ForeignKey(ModerationAction, on_delete=models.PROTECT, related_name="appeals")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals")
    text = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decision_reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_appeal"
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["action", "appellant"], name="one_appeal_per_action_per_member")]

    def __str__(self) -> str:
        return f"appeal by {self.appellant_id} against action {self.action_id}"


class KeywordRule(models.Model):
    """A word, phrase or restricted pattern that screening acts on when a post is written.

    Patterns are checked by ``moderation.crisis.validate_keyword_pattern`` before
    they are stored: RE2 must compile them (see that module), and RE2 matches in
    linear time, so no pattern can stall the server.
    """

    class Action(models.TextChoices):
        HOLD = "hold", "Hold the post for a moderator"
        FLAG = "flag", "Publish it and flag it for a moderator"
        REFUSE = "refuse", "Refuse it with a message"

    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.CASCADE, related_name="keyword_rules"
    )
    pattern = models.CharField(max_length=200)
    is_regex = models.BooleanField(default=False)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.FLAG)
    message = models.CharField(max_length=300, blank=True, help_text="Shown to the poster when the post is refused.")
    # Switched off, a rule is kept (and listed) but screening skips it.
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_keywordrule"
        ordering = ["community_id", "pattern"]

    def __str__(self) -> str:
        return f"{self.pattern!r} → {self.action} ({self.community or 'site-wide'})"

    def save(self, *args, **kwargs) -> None:
        # Validation, not behaviour: an unsafe pattern must never reach the
        # matcher, whichever path (admin, shell, fixture) stores it.
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        validate_keyword_pattern(self.pattern, is_regex=self.is_regex)


class MemberNote(models.Model):
    """A short private note a moderator keeps about a member in one community.

    Read only by that community's moderators and staff (``member_note_list_for``), never
    shown to the member on the site; their data export carries the text without the
    author (README, "Member notes"). Append-only: a note is never edited or deleted
    through the ORM, so the record of who wrote what and when stays as it was.
    """

    MAX_LENGTH = 500

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="member_notes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes_about")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(max_length=MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "member", "-created_at"])]

    def __str__(self) -> str:
        return f"Note on {self.member_id} in {self.community_id} by {self.author_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Member notes cannot be changed.")
        super().save(*args, **kwargs)


class OnCall(models.Model):
    """A staff member on call: crisis alerts reach them at once with the community's moderators.

    A row while they are on call; going off call deletes it (the audit log keeps both)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    since = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id} on call since {self.since:%Y-%m-%d %H:%M}"


class QueueAgeAlert(models.Model):
    """When a community's moderators were last told its queue waited too long: at most one such
    alert per community in each QUEUE_ALERT_HOURS window."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, primary_key=True, related_name="+")
    alerted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"queue of {self.community_id} alerted at {self.alerted_at:%Y-%m-%d %H:%M}"
