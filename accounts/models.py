import os
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.confusables import skeletons

CURRENT_CONSENT_VERSION = "2026-11"

USERNAME_RULE = (
    "Letters, digits and @ . + - _ only. It cannot look like another member's name: "
    "look-alike letters from other alphabets, digits such as 1 for l, and capitals count as the same."
)
USERNAME_LOOKALIKE_MESSAGE = (
    "This username looks too much like another member's or a reserved name, so others could mistake "
    "one for the other. Please choose a different one."
)


class User(AbstractUser):
    """A member. Sign-up asks for username, email and password only."""

    class TextSize(models.TextChoices):
        STANDARD = "standard", "Standard"
        LARGER = "larger", "Larger"
        LARGEST = "largest", "Largest"

    display_name = models.CharField(max_length=60, blank=True)
    health_data_consent_version = models.CharField(max_length=20, blank=True)
    health_data_consent_at = models.DateTimeField(null=True, blank=True)
    # A reading preference, kept here rather than on Profile: every page needs it and
    # the session middleware has already loaded this row, so it costs no query.
    text_size = models.CharField(max_length=10, choices=TextSize.choices, default=TextSize.STANDARD)
    # Low-energy mode, a reading preference kept here for the same reason: a calm layout,
    # emails gathered into the digest, live updates paused until asked, long threads
    # opened at the first unread reply.
    low_energy = models.BooleanField(default=False, db_default=False)
    # "I may take days to answer", shown beside the member's name on their posts (never on
    # anonymous ones): on this row because every author label already reads it.
    slow_to_reply = models.BooleanField(default=False, db_default=False)
    # What the username looks like (accounts/confusables.py), indexed so that sign-up
    # finds a look-alike of any existing name with one query. Not unique: names that
    # were taken before the rule existed may share one. The database default lets code
    # from before this column insert rows while a deploy rolls out.
    username_skeleton = models.CharField(max_length=600, db_index=True, editable=False, default="", db_default="")
    username_folded_skeleton = models.CharField(
        max_length=600, db_index=True, editable=False, default="", db_default=""
    )
    # The key of the member's cached access context (accounts/access.py): raised in the
    # same transaction as every change to what access rules read about them, so a
    # reader that sees the new value can only load the new facts. Never written by a
    # plain save (see save()), only by accounts.access_versions.
    access_version = models.BigIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.username

    def clean(self) -> None:
        super().clean()
        # Only a new or changed name is checked: two old names that already look
        # alike must not make either member's record unsaveable.
        if skeletons(self.username) == (self.username_skeleton, self.username_folded_skeleton):
            return
        if self.username_lookalike_taken(self.username, exclude_pk=self.pk):
            raise ValidationError({"username": USERNAME_LOOKALIKE_MESSAGE})

    def save(self, *args, **kwargs) -> None:
        # Derived from the username on every save, whatever path changed it (sign-up,
        # the admin, a management command), so the look-alike check never misses one.
        update_fields = kwargs.get("update_fields")
        if update_fields is None and not self._state.adding and not kwargs.get("force_insert"):
            # A full save of a row loaded before a change would write its old access
            # version back, and the cached context of that version would serve again.
            update_fields = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "access_version"
            ]
            kwargs["update_fields"] = update_fields
        if update_fields is None or "username" in update_fields:
            self.username_skeleton, self.username_folded_skeleton = skeletons(self.username)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "username_skeleton", "username_folded_skeleton"}
        super().save(*args, **kwargs)

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @classmethod
    def username_lookalike_taken(cls, username: str, *, exclude_pk: int | None = None) -> bool:
        """Whether ``username`` could be mistaken for an existing member's or a reserved name.

        Compared by skeleton (accounts/confusables.py): alice spelt with a Cyrillic a,
        ``aIice`` and ``ALICE`` all look like ``alice``; ``alice2`` does not. A check on
        the whole table, like a unique constraint the database cannot express: sign-up
        (``accounts.adapter``) asks it before the row exists, ``clean()`` on a rename.
        """
        visual, folded = skeletons(username)
        for reserved in getattr(settings, "ACCOUNT_USERNAME_BLACKLIST", []):
            reserved_visual, reserved_folded = skeletons(reserved)
            if visual == reserved_visual or folded == reserved_folded:
                return True
        others = cls.objects.filter(Q(username_skeleton=visual) | Q(username_folded_skeleton=folded))
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        return others.exists()


def private_storage() -> "PrivateFileStorage":
    """Storage for files only staff may fetch, through a permission-checked view.

    A callable so migrations name this function rather than a configured instance.
    """
    return PrivateFileStorage()


class PrivateFileStorage(FileSystemStorage):
    """Files under PRIVATE_STORAGE_ROOT, which is outside MEDIA_ROOT and has no URL.

    The location is read from settings on each use so tests can point it elsewhere.
    """

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; they are served by a permission-checked view.")


def _random_name(folder: str, extension: str) -> str:
    # Unguessable and unrelated to what the member called the file.
    return f"{folder}/{secrets.token_urlsafe(24)}.{extension}"


def avatar_upload_to(instance: "Profile", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "png"
    return _random_name("avatars", extension)


def evidence_upload_to(instance: "VerificationEvidence", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return _random_name("verification", extension)


class Profile(models.Model):
    """How a member presents themselves. Created on first use by ``profile_get_or_create``."""

    class Role(models.TextChoices):
        PATIENT = "patient", "Patient"
        CAREGIVER = "caregiver", "Caregiver"
        CLINICIAN = "clinician", "Clinician"
        RESEARCHER = "researcher", "Researcher"
        OTHER = "other", "Other"

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone, including people who are not signed in"
        MEMBERS = "members", "Signed-in members"
        NOBODY = "nobody", "Only me"

    class AvatarKind(models.TextChoices):
        INITIALS = "initials", "My initials"
        UPLOAD = "upload", "An image I uploaded"

    BIO_MAX_LENGTH = 1000

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=12, choices=Role.choices, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    bio = models.TextField(max_length=BIO_MAX_LENGTH, blank=True)
    bio_visibility = models.CharField(max_length=10, choices=Audience.choices, default=Audience.MEMBERS)
    conditions = models.ManyToManyField("community.Community", blank=True, related_name="+")
    # Conditions are health data: nobody sees them until the member chooses otherwise.
    conditions_visibility = models.CharField(max_length=10, choices=Audience.choices, default=Audience.NOBODY)
    conflict_of_interest = models.CharField(max_length=200, blank=True)
    avatar_kind = models.CharField(max_length=10, choices=AvatarKind.choices, default=AvatarKind.INITIALS)
    avatar = models.FileField(upload_to=avatar_upload_to, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    @property
    def shows_uploaded_avatar(self) -> bool:
        return self.avatar_kind == self.AvatarKind.UPLOAD and bool(self.avatar)


class ProfessionalVerification(models.Model):
    """One application by a health professional, and what staff decided about it."""

    class Profession(models.TextChoices):
        PHYSICIAN = "physician", "Physician"
        NURSE = "nurse", "Nurse"
        PHARMACIST = "pharmacist", "Pharmacist"
        PSYCHOLOGIST = "psychologist", "Psychologist"
        PHYSIOTHERAPIST = "physiotherapist", "Physiotherapist"
        DIETITIAN = "dietitian", "Dietitian"
        ALLIED_HEALTH = "allied_health", "Other allied health professional"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        NEEDS_INFO = "needs_info", "More information requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    OPEN_STATES = (Status.PENDING, Status.NEEDS_INFO)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="professional_verifications"
    )
    profession = models.CharField(max_length=20, choices=Profession.choices)
    speciality = models.CharField(max_length=100, blank=True)
    licence_number = models.CharField("licence or registration number", max_length=60)
    issuing_body = models.CharField(max_length=150)
    country = models.CharField("country", max_length=60)
    region = models.CharField("region or state", max_length=80, blank=True)
    register_url = models.URLField("public register URL", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    info_request = models.TextField(blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant"],
                condition=models.Q(status__in=("pending", "needs_info")),
                name="one_open_verification_per_applicant",
            )
        ]
        indexes = [models.Index(fields=["applicant", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_profession_display()} verification for {self.applicant} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.APPROVED and self.expires_at is not None and self.expires_at > timezone.now()

    @property
    def jurisdiction(self) -> str:
        return f"{self.region}, {self.country}" if self.region else self.country


class VerificationEvidence(models.Model):
    """A file an applicant sent in support of an application. Kept outside the
    public media path and deleted from disk once the application is decided."""

    application = models.ForeignKey(ProfessionalVerification, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(storage=private_storage, upload_to=evidence_upload_to, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name_plural = "verification evidence"

    def __str__(self) -> str:
        return f"evidence {self.pk} for application {self.application_id}"

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1] if self.file else ""


class VerificationEvent(models.Model):
    """The audit log of verification: append-only, visible to staff."""

    class Kind(models.TextChoices):
        APPLIED = "applied", "Applied"
        INFO_PROVIDED = "info_provided", "Applicant sent more information"
        EVIDENCE_VIEWED = "evidence_viewed", "Evidence viewed"
        INFO_REQUESTED = "info_requested", "More information requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"
        EXPIRY_WARNED = "expiry_warned", "Warned of expiry"

    application = models.ForeignKey(ProfessionalVerification, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.application_id}) at {self.at:%Y-%m-%d %H:%M}"


class AccountNotice(models.Model):
    """A short in-app message to a member (until the notifications system exists)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"notice to {self.user_id}: {self.text[:40]}"


# --- Privacy: blocking, exports ------------------------------------------------------


class Block(models.Model):
    """``blocker`` no longer wants to hear from ``blocked``: their posts are collapsed
    for the blocker, and they may not reply to the blocker's discussions or mention them."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


def export_upload_to(instance: "DataExport", filename: str) -> str:
    return _random_name("exports", "json")


class DataExport(models.Model):
    """A member's request for a copy of their data, and the archive once built.

    The file lives in private storage (no URL); only its owner downloads it, through a
    checked view, until ``expires_at``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Could not be prepared"

    LIFETIME_DAYS = 7

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(storage=private_storage, upload_to=export_upload_to, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id} ({self.status})"

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == self.Status.READY
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
