"""Forms for moderation: every field optional unless the action cannot work without it."""

from django import forms

from moderation.models import Appeal, Flag


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


class LiftForm(forms.Form):
    reason = forms.CharField(label="Reason (shown to the member)", max_length=500, required=False, strip=True)


class MemberNoteForm(forms.Form):
    member = forms.CharField(label="Member (username)", max_length=150)
    community = forms.SlugField(label="Community (hashtag, without #)", max_length=40)
    text = forms.CharField(
        label="Note (moderators of this community only)", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
