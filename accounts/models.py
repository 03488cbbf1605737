from django.contrib.auth.models import AbstractUser
from django.db import models

CURRENT_CONSENT_VERSION = "2026-11"


class User(AbstractUser):
    """A member. Sign-up asks for username, email and password only."""

    display_name = models.CharField(max_length=60, blank=True)
    health_data_consent_version = models.CharField(max_length=20, blank=True)
    health_data_consent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.username

    @property
    def public_name(self) -> str:
        return self.display_name or self.username
