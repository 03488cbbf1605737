from django import forms
from django.utils import timezone

from accounts.models import CURRENT_CONSENT_VERSION, User


class SignupConsentForm(forms.Form):
    """Extra sign-up field: explicit consent to processing health information.

    allauth mixes this into its own sign-up form and calls ``signup`` once the
    user exists.
    """

    health_data_consent = forms.BooleanField(
        required=True,
        label="I understand that what I share here may include information about my health, "
        "and I agree to Spoonful storing it to run the community.",
        error_messages={"required": "Please tick this box to join: we cannot store health information without it."},
    )

    def signup(self, request, user: User) -> None:
        user.health_data_consent_version = CURRENT_CONSENT_VERSION
        user.health_data_consent_at = timezone.now()
        user.save(update_fields=["health_data_consent_version", "health_data_consent_at"])
