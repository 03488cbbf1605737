from django import forms

from notifications.preferences import TIME_ZONES


class DigestTimeForm(forms.Form):
    digest_hour = forms.TypedChoiceField(
        label="Send my daily digest at",
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
    )
    digest_time_zone = forms.ChoiceField(
        label="in the time zone",
        choices=[(zone, zone.replace("_", " ")) for zone in TIME_ZONES],
        error_messages={"invalid_choice": "Choose a time zone from the list, such as Europe/London."},
    )
