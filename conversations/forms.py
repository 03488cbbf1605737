import re

from django import forms

from conversations.models import Conversation, MessagingChoice
from discussions.markdown import MAX_BODY_LENGTH

NAME_SEPARATORS = re.compile(r"[\s,]+")


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_BODY_LENGTH,
        strip=False,
        help_text="Only the members of this conversation can read it. Markdown works.",
    )


class NewConversationForm(MessageForm):
    to = forms.CharField(
        label="To",
        max_length=300,
        help_text=f"A username, or up to {Conversation.MAX_PARTICIPANTS - 1} separated by commas.",
    )
    field_order = ["to", "body"]

    def clean_to(self) -> list[str]:
        names = [name.lstrip("@") for name in NAME_SEPARATORS.split(self.cleaned_data["to"]) if name.strip("@")]
        if not names:
            raise forms.ValidationError("Please name who the message is for.")
        return list(dict.fromkeys(name.lower() for name in names))


class ReportForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with this message?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Staff will see this message and the few messages around it, nothing else.",
    )
    is_crisis = forms.BooleanField(label="Someone in this conversation may be in crisis or at risk", required=False)


class ReportCloseForm(forms.Form):
    remove_message = forms.BooleanField(
        label="Remove this message's words (the others in the conversation see that it was removed)",
        required=False,
    )


class MessagingChoiceForm(forms.Form):
    audience = forms.ChoiceField(
        label="Who may start a conversation with me",
        choices=MessagingChoice.Audience.choices,
        widget=forms.RadioSelect,
    )
