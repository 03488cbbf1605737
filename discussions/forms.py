"""Forms for writing: they check the shape of what was typed; the services check the rules."""

import secrets
from collections.abc import Sequence

from django import forms
from django.core.exceptions import ValidationError

from community.hashtags import split_hashtag_field
from discussions.markdown import MAX_TITLE_LENGTH, markdown_problem, strip_control_characters
from discussions.models import Bookmark, Visibility
from discussions.placement import MAX_HASHTAGS
from discussions.post_checks import (
    ANONYMOUS_WITH_BADGE_MESSAGE,
    CONTENT_WARNING_MAX_LENGTH,
    VISIBILITY_CHOICE_MESSAGE,
)

# More than this many entries in the hashtag field is never a real post.
MAX_TYPED_HASHTAGS = 20
# What a member types into a post: kept out of error reports (sensitive_post_parameters).
SENSITIVE_FIELDS = ("title", "body", "content_warning", "hashtags")


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: each message beside its field,
    or above the form for fields the member cannot see (such as the parent number)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, messages)
    else:
        form.add_error(None, error.messages)


class _BodyField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def clean(self, value: str) -> str:
        value = super().clean(strip_control_characters(value or ""))
        if self.required and not value.strip():
            raise forms.ValidationError(self.error_messages["required"], code="required")
        problem = markdown_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


BADGE_HINT = "Not shown on anonymous posts: the badge says who you are."
CONTENT_WARNING_HELP = "For example “self-harm” or “graphic medical detail”: the post stays folded until opened."
WANTS_PROFESSIONAL_LABEL = "Ask for a professional's view"
WANTS_PROFESSIONAL_HELP = (
    "Verified clinicians in these communities see it in their list until one of them answers with their badge. "
    "It is a view, not a consultation: for anything urgent, contact your own care team."
)


class _Form(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        # Labels read "Your reply", not "Your reply:".
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class _AudienceMixin:
    """A visibility field whose community choice names the communities once they are
    known (``name_audience``): "Only members of #mecfs"."""

    unknown_communities_label = "Only members of the communities you choose"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name_audience(())

    def name_audience(self, hashtags: Sequence[str]) -> None:
        community = Visibility.COMMUNITY.audience(hashtags) if hashtags else self.unknown_communities_label
        self.fields["visibility"].choices = [
            (value, community if value == Visibility.COMMUNITY else label) for value, label in Visibility.choices
        ]


class _BadgeChoiceMixin:
    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("anonymous") and cleaned.get("as_professional"):
            # Said before posting, with the text kept: never a badge quietly dropped.
            raise forms.ValidationError(ANONYMOUS_WITH_BADGE_MESSAGE)
        return cleaned


class SubmissionTokenMixin(_Form):
    submission_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # One token per rendered form: sending it twice means one post.
            self.initial.setdefault("submission_token", new_submission_token())


class DiscussionForm(_AudienceMixin, _BadgeChoiceMixin, SubmissionTokenMixin):
    title = forms.CharField(
        label="Title",
        max_length=MAX_TITLE_LENGTH,
        error_messages={"max_length": f"Please keep the title under {MAX_TITLE_LENGTH} characters."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = _BodyField(
        label="What would you like to say?",
        help_text="Markdown works: *italic*, **bold**, [a link](https://example.org), > quotes, - lists.",
    )
    hashtags = forms.CharField(
        label="Communities (hashtags)",
        required=False,
        max_length=1000,
        help_text=f"One to {MAX_HASHTAGS}, separated by spaces or commas, for example #mecfs #spoonie.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-autocomplete-url": "/c/autocomplete/"}
        ),
    )
    visibility = forms.ChoiceField(
        label="Who can read this?",
        choices=Visibility.choices,
        required=False,
        initial=Visibility.COMMUNITY,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": VISIBILITY_CHOICE_MESSAGE},
    )
    anonymous = forms.BooleanField(
        label="Post anonymously",
        required=False,
        help_text="Others see “Anonymous member”. Moderators can still see who wrote it. "
        "It hides your name, not what your text says.",
    )
    content_warning = forms.CharField(
        label="Content warning (optional)",
        required=False,
        max_length=CONTENT_WARNING_MAX_LENGTH,
        help_text=CONTENT_WARNING_HELP,
    )
    as_professional = forms.BooleanField(
        label="Post with my professional badge",
        required=False,
        help_text=f"Leave it off to post as yourself, for example as a patient. {BADGE_HINT}",
    )
    wants_professional = forms.BooleanField(
        label=WANTS_PROFESSIONAL_LABEL, required=False, help_text=WANTS_PROFESSIONAL_HELP
    )

    def clean_hashtags(self) -> list[str]:
        typed = split_hashtag_field(self.cleaned_data["hashtags"])
        if len(typed) > MAX_TYPED_HASHTAGS:
            raise forms.ValidationError(f"A discussion can sit in at most {MAX_HASHTAGS} communities.")
        return typed

    def clean_visibility(self) -> str:
        # A missing choice means the most private audience, never public; an empty
        # or unknown one is a mistake the member should see.
        if "visibility" not in self.data:
            return Visibility.COMMUNITY
        value = self.cleaned_data["visibility"]
        if not value:
            raise forms.ValidationError(VISIBILITY_CHOICE_MESSAGE)
        return value


class ReplyForm(_BadgeChoiceMixin, SubmissionTokenMixin):
    body = _BodyField(label="Your reply")
    parent = forms.IntegerField(required=False, min_value=1, max_value=10**9, widget=forms.HiddenInput)
    content_warning = forms.CharField(
        label="Content warning (optional)",
        required=False,
        max_length=CONTENT_WARNING_MAX_LENGTH,
        error_messages={
            "max_length": f"Please keep the content warning under {CONTENT_WARNING_MAX_LENGTH} characters."
        },
        help_text="For example “graphic medical detail”: your reply stays folded until opened.",
    )
    anonymous = forms.BooleanField(label="Reply anonymously", required=False)
    as_professional = forms.BooleanField(label="Reply with my professional badge", required=False, help_text=BADGE_HINT)


class DiscussionEditForm(_Form):
    title = forms.CharField(
        label="Title",
        max_length=MAX_TITLE_LENGTH,
        error_messages={"max_length": f"Please keep the title under {MAX_TITLE_LENGTH} characters."},
    )
    body = _BodyField(label="Text")
    content_warning = forms.CharField(
        label="Content warning (optional)", required=False, max_length=CONTENT_WARNING_MAX_LENGTH
    )
    wants_professional = forms.BooleanField(
        label=WANTS_PROFESSIONAL_LABEL, required=False, help_text=WANTS_PROFESSIONAL_HELP
    )


class ReplyEditForm(_Form):
    body = _BodyField(label="Your reply")
    content_warning = forms.CharField(
        label="Content warning (optional)",
        required=False,
        max_length=CONTENT_WARNING_MAX_LENGTH,
        error_messages={
            "max_length": f"Please keep the content warning under {CONTENT_WARNING_MAX_LENGTH} characters."
        },
    )


class VisibilityForm(_AudienceMixin, _Form):
    unknown_communities_label = Visibility.COMMUNITY.label

    visibility = forms.ChoiceField(
        label="Who can read this?",
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": VISIBILITY_CHOICE_MESSAGE},
    )
    reason = forms.CharField(
        label="Reason (optional; the author reads it, and it is kept in the moderation log)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, offered: list[str] | None = None, moderating: bool = False, **kwargs) -> None:
        self.offered = offered
        super().__init__(*args, **kwargs)
        if not moderating:
            del self.fields["reason"]

    def name_audience(self, hashtags: Sequence[str]) -> None:
        super().name_audience(hashtags)
        if self.offered is not None:
            # Only the offered audiences are shown; any valid one still validates here,
            # so a refused one gets the service's reason rather than "choose one".
            self.fields["visibility"].widget.choices = [
                (value, label) for value, label in self.fields["visibility"].choices if value in self.offered
            ]


class BookmarkForm(_Form):
    note = forms.CharField(
        label="Note for yourself (optional)",
        required=False,
        max_length=Bookmark.NOTE_MAX_LENGTH,
        help_text="Only you see it, on your Saved page.",
        error_messages={"max_length": f"Keep the note to {Bookmark.NOTE_MAX_LENGTH} characters."},
    )
