"""Forms for moderation: every field optional unless the action cannot work without it."""

from django import forms
from django.core.exceptions import ValidationError

from moderation.crisis import MAX_PATTERN_LENGTH, validate_keyword_pattern
from moderation.dashboard import WEEKS_DEFAULT, WEEKS_MAX, WEEKS_MIN
from moderation.models import Appeal, Flag, KeywordRule


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason (optional, shown to the member)", max_length=500, required=False, strip=True)
    guideline = forms.IntegerField(label="Guideline number (optional)", min_value=1, max_value=99, required=False)


class RedactForm(forms.Form):
    span = forms.CharField(
        label="Exact text to remove", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), strip=False
    )
    reason = forms.CharField(label="Reason (optional)", max_length=500, required=False)


class RetagForm(forms.Form):
    hashtags = forms.CharField(label="Hashtags (space or comma separated)", max_length=400)
    reason = forms.CharField(label="Reason (optional)", max_length=500, required=False)


class RevealForm(forms.Form):
    reason = forms.CharField(label="Why you need to know (kept in the audit log)", max_length=500)


class MemberActionForm(forms.Form):
    community = forms.SlugField(label="Community", max_length=40, required=False)
    reason = forms.CharField(label="Reason (shown to the member)", max_length=500, required=False)
    guideline = forms.IntegerField(label="Guideline number (optional)", min_value=1, max_value=99, required=False)
    days = forms.IntegerField(label="For how many days (empty: permanent)", min_value=1, max_value=3650, required=False)
    # The post the moderator acted from, so an empty community box means that post's community.
    from_kind = forms.ChoiceField(
        choices=[("discussion", "discussion"), ("reply", "reply")], required=False, widget=forms.HiddenInput
    )
    from_id = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label="What is wrong?", choices=Flag.Reason.choices, widget=forms.RadioSelect)
    guideline = forms.IntegerField(label="Which guideline number?", min_value=1, max_value=99, required=False)
    detail = forms.CharField(
        label="Anything the moderators should know (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == Flag.Reason.GUIDELINE and not data.get("guideline"):
            self.add_error("guideline", "Say which guideline it breaks.")
        if data.get("reason") == Flag.Reason.OTHER and not (data.get("detail") or "").strip():
            self.add_error("detail", "Tell the moderators what is wrong.")
        return data


class AppealForm(forms.Form):
    text = forms.CharField(
        label="Your reply to the moderators", max_length=2000, widget=forms.Textarea(attrs={"rows": 6})
    )


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[(Appeal.Status.UPHELD, "Keep the decision"), (Appeal.Status.OVERTURNED, "Reverse the decision")],
    )
    reason = forms.CharField(label="Reason (shown to the member)", max_length=500, required=False)


SITE_WIDE = ""


class KeywordRuleForm(forms.Form):
    """Add or change a keyword rule; ``sample`` is only for the "try it" preview, never saved.

    ``communities`` are the ones the moderator keeps rules for; staff may also choose
    site-wide (an empty community).
    """

    community = forms.ChoiceField(label="Community", required=False)
    pattern = forms.CharField(
        label="Word, phrase or pattern",
        max_length=MAX_PATTERN_LENGTH,
        strip=False,
        error_messages={"max_length": f"Patterns can be at most {MAX_PATTERN_LENGTH} characters long."},
    )
    is_regex = forms.BooleanField(label="This is a pattern (regular expression, RE2 syntax)", required=False)
    action = forms.ChoiceField(label="What the rule does", choices=KeywordRule.Action.choices, widget=forms.RadioSelect)
    message = forms.CharField(label="Message shown when a post is refused (optional)", max_length=300, required=False)
    sample = forms.CharField(
        label="Try it on this text (not saved)",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, communities=(), site_wide: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(community.slug, f"#{community.slug}") for community in communities]
        if site_wide:
            choices.insert(0, (SITE_WIDE, "Site-wide (every community)"))
        self.fields["community"].choices = choices
        self.fields["community"].required = not site_wide

    def clean_pattern(self) -> str:
        return self.cleaned_data["pattern"].strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        pattern = cleaned.get("pattern")
        if pattern:
            try:
                validate_keyword_pattern(pattern, is_regex=cleaned.get("is_regex", False))
            except ValidationError as error:
                self.add_error("pattern", error)
        return cleaned


class LiftForm(forms.Form):
    reason = forms.CharField(label="Reason (shown to the member)", max_length=500, required=False, strip=True)


class MemberNoteForm(forms.Form):
    member = forms.CharField(label="Member (username)", max_length=150)
    community = forms.SlugField(label="Community (hashtag, without #)", max_length=40)
    text = forms.CharField(
        label="Note (moderators of this community only)", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class CrisisResourceForm(forms.Form):
    """A helpline shown to posters in crisis; ``moderation.crisis_resources`` checks the rules
    (country code, a phone or an https address) so every caller gets the same ones."""

    region = forms.CharField(
        label="Country code (empty: everywhere)",
        max_length=2,
        required=False,
        help_text="Two letters, such as GB or US. Posters see their country's resources first, then these.",
        error_messages={"max_length": "Use a two-letter country code such as GB or US."},
    )
    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(
        label="What it offers (optional)", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    phone = forms.CharField(label="Phone number", max_length=40, required=False)
    url = forms.CharField(
        label="Web address (https)", max_length=200, required=False, widget=forms.URLInput(attrs={"inputmode": "url"})
    )
    order = forms.IntegerField(
        label="Position in its region (optional; lower comes first)",
        min_value=0,
        max_value=32767,
        required=False,
    )


class StaffAppointForm(forms.Form):
    username = forms.CharField(
        label="Username of a member to appoint",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )


class DashboardWindowForm(forms.Form):
    """How many weeks the dashboard and its CSV cover (``?weeks=``); empty means the default."""

    weeks = forms.IntegerField(
        label=f"Weeks shown ({WEEKS_MIN} to {WEEKS_MAX})",
        min_value=WEEKS_MIN,
        max_value=WEEKS_MAX,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean_weeks(self) -> int:
        return self.cleaned_data["weeks"] or WEEKS_DEFAULT
