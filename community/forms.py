from django import forms

from community.hashtags import MAX_HASHTAG_LENGTH, InvalidHashtag, normalise_hashtag
from community.models import Community
from community.services import MAX_HOLD_POSTS, MAX_NEW_ACCOUNT_DAYS


def _clean_hashtag(raw: str) -> str:
    try:
        return normalise_hashtag(raw)
    except InvalidHashtag as error:
        raise forms.ValidationError(str(error)) from error


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label="Filter communities",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text="A hashtag, another name for it, or part of a community's name.",
    )

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip().lstrip("#")


class CommunityCreateForm(forms.Form):
    slug = forms.CharField(
        label="Hashtag",
        max_length=MAX_HASHTAG_LENGTH + 1,
        help_text="Lower-case letters and digits, for example mecfs. It cannot be changed later.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label="Name", max_length=80, help_text="How the condition is usually written: ME/CFS.")
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    guidelines = forms.CharField(
        label="Guidelines",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One guideline per line; they are numbered in this order so moderators can cite them.",
    )
    policy = forms.ChoiceField(label="Who can join", choices=Community.Policy.choices, initial=Community.Policy.OPEN)
    professionals_only = forms.BooleanField(label="Only verified health professionals may join", required=False)
    icd11_code = forms.CharField(label="ICD-11 code", max_length=20, required=False)
    orpha_code = forms.CharField(label="ORPHAcode", max_length=20, required=False)

    def clean_slug(self) -> str:
        return _clean_hashtag(self.cleaned_data["slug"])


class AliasProposeForm(forms.Form):
    name = forms.CharField(
        label="Another hashtag for this condition",
        max_length=MAX_HASHTAG_LENGTH + 1,
        help_text="Moderators decide whether it becomes another name for this community.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_name(self) -> str:
        return _clean_hashtag(self.cleaned_data["name"])


class InviteForm(forms.Form):
    username = forms.CharField(
        label="Username of the member to invite",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    reason = forms.CharField(label="Note for the log (optional)", max_length=500, required=False)

    @property
    def accepted(self) -> bool:
        return self.cleaned_data["decision"] == "accept"


class CommunityPolicyForm(forms.Form):
    policy = forms.ChoiceField(label="Who can join", choices=Community.Policy.choices, widget=forms.RadioSelect)
    professionals_only = forms.BooleanField(label="Only verified health professionals may join", required=False)


class CommunityDetailsForm(forms.Form):
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown at the top of the community page and in the directory.",
    )
    guidelines = forms.CharField(
        label="Guidelines",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "One guideline per line. They are numbered in this order, and removal notices cite them by number "
            "(“removed: guideline 3”): moving, adding or deleting a line above another changes its number, so "
            "notices already sent would then point at a different guideline. Add new guidelines at the end. "
            "A number cited by a decision under appeal cannot be dropped until the appeal is decided."
        ),
    )


class NewAccountHoldForm(forms.Form):
    hold_posts = forms.IntegerField(
        label="Hold the first posts of each member",
        min_value=0,
        max_value=MAX_HOLD_POSTS,
        help_text="How many of a member's first posts in this community wait for a moderator. 0: off.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    days = forms.IntegerField(
        label="Hold the posts of accounts younger than (days)",
        min_value=0,
        max_value=MAX_NEW_ACCOUNT_DAYS,
        help_text=(
            "Posts by accounts younger than this many days wait for a moderator. 0: off. "
            "With both set, only the first posts of young accounts wait."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class AliasAddForm(AliasProposeForm):
    """A moderator names the community at once: no proposal to decide."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Add another hashtag for this community"
        self.fields["name"].help_text = "It leads here at once wherever it is typed: in links, posts and the tag field."
