from django.conf import settings
from django.db import models
from taggit.models import Tag


class Community(models.Model):
    """A condition community, named by its canonical hashtag (``mecfs``)."""

    class Policy(models.TextChoices):
        OPEN = "open", "Open: anyone can join"
        APPROVAL = "approval", "By approval: a moderator accepts each request"
        PRIVATE = "private", "Private: by invitation, hidden from everyone else"

    slug = models.SlugField("hashtag", max_length=40, unique=True)
    tag = models.OneToOneField(Tag, on_delete=models.PROTECT, related_name="community")
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="One guideline per line; they are numbered in this order.")
    policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.OPEN)
    professionals_only = models.BooleanField(default=False, help_text="Only verified health professionals may join.")
    icd11_code = models.CharField("ICD-11 code", max_length=20, blank=True)
    orpha_code = models.CharField("ORPHAcode", max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Trust for new accounts: hold the first N posts of accounts younger than D days.
    new_account_hold_posts = models.PositiveSmallIntegerField(
        "hold first posts of new accounts",
        default=0,
        help_text="How many first posts of a new account wait for a moderator (0: none).",
    )
    new_account_days = models.PositiveSmallIntegerField(
        "new account age (days)", default=0, help_text="An account counts as new for this many days."
    )

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return f"#{self.slug}"

    def get_absolute_url(self) -> str:
        return f"/c/{self.slug}/"

    @property
    def is_private(self) -> bool:
        return self.policy == self.Policy.PRIVATE

    def guideline_list(self) -> list[str]:
        return [line.strip() for line in self.guidelines.splitlines() if line.strip()]

    def guideline(self, number: int) -> str | None:
        guidelines = self.guideline_list()
        return guidelines[number - 1] if 1 <= number <= len(guidelines) else None


class CommunityAlias(models.Model):
    """Another hashtag for the same condition (``cfs`` for ``mecfs``)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="aliases")
    name = models.SlugField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(status="accepted"),
                name="one_accepted_alias_per_name",
            ),
            models.UniqueConstraint(fields=["community", "name"], name="alias_once_per_community"),
        ]

    def __str__(self) -> str:
        return f"#{self.name} → #{self.community.slug}"


class Membership(models.Model):
    """A member's place in a community; moderators are members with a role."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        MODERATOR = "moderator", "Moderator"

    class Status(models.TextChoices):
        ACTIVE = "active", "Member"
        REQUESTED = "requested", "Asked to join"
        INVITED = "invited", "Invited"
        BANNED = "banned", "Banned"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "community"], name="one_membership_per_community")]
        indexes = [models.Index(fields=["community", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.community} ({self.status}, {self.role})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_banned(self) -> bool:
        """The one ban check: joining, posting, re-tagging and invitations all ask it."""
        return self.status == self.Status.BANNED

    @property
    def is_moderator(self) -> bool:
        return self.is_active and self.role == self.Role.MODERATOR
