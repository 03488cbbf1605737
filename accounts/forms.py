import datetime
import re
import unicodedata

from django import forms
from django.utils import timezone

from accounts.models import CURRENT_CONSENT_VERSION, USERNAME_RULE, ProfessionalVerification, Profile, User
from accounts.uploads import AVATAR_MAX_BYTES, EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES
from community.models import Community


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # allauth's sign-up form inherits from this one, so its username field is here too.
        if "username" in self.fields:
            self.fields["username"].help_text = USERNAME_RULE

    def signup(self, request, user: User) -> None:
        user.health_data_consent_version = CURRENT_CONSENT_VERSION
        user.health_data_consent_at = timezone.now()
        user.save(update_fields=["health_data_consent_version", "health_data_consent_at"])


# Check marks, ticks and badge-like symbols that could pass a name off as a verification badge.
_BADGE_LOOKALIKES = re.compile("[\u2705\u2713\u2714\u2611\u2612\u2610\U0001f5f8\u221a]")
_VERIFIED_WORDS = re.compile(r"\b(verified|verification)\b", re.IGNORECASE)


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=60,
        required=False,
        help_text="A name or pseudonym shown on your posts. It need not be your real name.",
    )
    role = forms.ChoiceField(
        choices=[("", "Prefer not to say"), *Profile.Role.choices],
        required=False,
        help_text="How you take part. Choosing “Clinician” does not add a badge: that needs verification.",
    )
    pronouns = forms.CharField(max_length=40, required=False, help_text="For example: she/her, they/them.")
    bio = forms.CharField(
        max_length=Profile.BIO_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Plain text, up to {Profile.BIO_MAX_LENGTH:,} characters.",
    )
    bio_visibility = forms.ChoiceField(
        choices=Profile.Audience.choices, widget=forms.RadioSelect, label="Who can see your bio"
    )
    conditions = forms.ModelMultipleChoiceField(
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Conditions you live with or care about",
    )
    conditions_visibility = forms.ChoiceField(
        choices=Profile.Audience.choices, widget=forms.RadioSelect, label="Who can see your conditions"
    )
    conflict_of_interest = forms.CharField(
        max_length=200,
        required=False,
        label="Conflict of interest",
        help_text="Shown under your replies when you post as a verified professional, "
        "for example “Paid speaker for Example Pharma”.",
    )
    text_size = forms.ChoiceField(
        choices=User.TextSize.choices,
        required=False,
        initial=User.TextSize.STANDARD,
        widget=forms.RadioSelect,
        label="Text size",
        help_text="How large text is on every page while you are signed in.",
    )

    slow_to_reply = forms.BooleanField(
        required=False,
        label="I may take days to answer",
        help_text="Shown beside your name on your posts and profile (never on anonymous ones), "
        "so nobody reads a slow answer as a cold one.",
    )

    def __init__(self, *args, conditions_queryset=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if conditions_queryset is not None:
            self.fields["conditions"].queryset = conditions_queryset

    def clean_text_size(self) -> str | None:
        # Not sent (an older form, a script): keep the member's current choice.
        return self.cleaned_data["text_size"] or None

    def clean_display_name(self) -> str:
        name = unicodedata.normalize("NFKC", self.cleaned_data["display_name"]).strip()
        if _BADGE_LOOKALIKES.search(name) or _VERIFIED_WORDS.search(name):
            raise forms.ValidationError(
                "Please leave check marks and the word “verified” out of your name: "
                "Spoonful adds a badge itself once a professional has been verified."
            )
        if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
            raise forms.ValidationError("Please use only visible characters in your name.")
        return name


# What a checkbox or the header toggle may send for ``enabled``; anything else is a
# mistake to report, not a value to guess at.
CHECKBOX_VALUES = frozenset({"", "on", "true", "1", "false", "0"})


class LowEnergyForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="Use low-energy mode",
        help_text="A calmer layout with larger text and buttons, no counters or animation; "
        "emails gathered into your daily digest (crisis alerts still come at once); "
        "new replies wait until you ask for them; long discussions open at the first reply you have not read.",
    )

    def clean_enabled(self) -> bool:
        sent = self.data.getlist("enabled") if hasattr(self.data, "getlist") else [self.data.get("enabled", "")]
        if len(sent) > 1 or (sent and str(sent[0]).strip().lower() not in CHECKBOX_VALUES):
            raise forms.ValidationError("Tick the box to turn low-energy mode on, or leave it empty to turn it off.")
        return self.cleaned_data["enabled"]


class AvatarForm(forms.Form):
    class Choice:
        INITIALS = "initials"
        UPLOAD = "upload"

    avatar_kind = forms.ChoiceField(
        choices=[(Choice.INITIALS, "Show my initials"), (Choice.UPLOAD, "Upload an image")],
        widget=forms.RadioSelect,
        label="Picture",
    )
    image = forms.FileField(
        required=False,
        label="Image file",
        help_text=f"PNG, JPEG, GIF or WebP, up to {AVATAR_MAX_BYTES // (1024 * 1024)} MB and 4096 x 4096 pixels. "
        "We shrink it and remove hidden details such as location.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("avatar_kind") == self.Choice.UPLOAD and not cleaned.get("image"):
            self.add_error("image", "Please choose an image to upload, or pick “Show my initials”.")
        return cleaned


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single_clean = super().clean
        if isinstance(data, list | tuple):
            files = [single_clean(item, initial) for item in data]
        else:
            files = [single_clean(data, initial)] if data else []
        if len(files) > EVIDENCE_MAX_FILES:
            raise forms.ValidationError(f"Please send at most {EVIDENCE_MAX_FILES} files.")
        return files


EVIDENCE_HELP = (
    f"Optional: up to {EVIDENCE_MAX_FILES} PDF, PNG or JPEG files of up to {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB "
    "each, such as a registration certificate. Only staff can open them, and they are deleted once we decide."
)


class VerificationApplyForm(forms.ModelForm):
    register_url = forms.URLField(
        label="Public register URL",
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text="A link to your entry in a public register, if there is one.",
    )
    evidence = MultipleFileField(required=False, label="Evidence files", help_text=EVIDENCE_HELP)

    class Meta:
        model = ProfessionalVerification
        fields = [
            "profession",
            "speciality",
            "licence_number",
            "issuing_body",
            "country",
            "region",
            "register_url",
        ]
        help_texts = {
            "licence_number": "Staff use it to check the register. It is never shown publicly.",
            "issuing_body": "For example: General Medical Council, Nursing and Midwifery Council.",
            "country": "Shown on your badge, for example “UK” or “Canada”.",
        }


class VerificationInfoForm(forms.Form):
    message = forms.CharField(
        label="Your answer", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), required=True
    )
    evidence = MultipleFileField(required=False, label="More evidence files", help_text=EVIDENCE_HELP)


class _OwnIds:
    """Several small forms share a page; each gets its own element ids."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _default_expiry() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=365)


class ApproveForm(_OwnIds, forms.Form):
    id_prefix = "approve"

    expires_on = forms.DateField(
        label="Valid until",
        initial=_default_expiry,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="One year from today unless the registration ends sooner.",
    )

    def clean_expires_on(self) -> datetime.date:
        expires_on = self.cleaned_data["expires_on"]
        if expires_on <= timezone.localdate():
            raise forms.ValidationError("The expiry date must be after today.")
        return expires_on

    @property
    def expires_at(self) -> datetime.datetime:
        expires_on = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.datetime.combine(expires_on, datetime.time(23, 59, 59)))


class RejectForm(_OwnIds, forms.Form):
    id_prefix = "reject"

    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The applicant will read this.",
    )


class InfoRequestForm(_OwnIds, forms.Form):
    id_prefix = "info"

    message = forms.CharField(
        label="What do you need from the applicant?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The applicant will read this.",
    )


class RevokeForm(_OwnIds, forms.Form):
    id_prefix = "revoke"

    reason = forms.CharField(
        label="Reason for revoking",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The member will see this reason, and it is kept in the audit log.",
    )
