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


NO_QUIET_HOURS = ""


class QuietHoursForm(forms.Form):
    """From and until which hour (in the time zone above) nothing pushes or emails; both empty for none."""

    quiet_start = forms.TypedChoiceField(
        label="Quiet from",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[(NO_QUIET_HOURS, "No quiet hours"), *[(hour, f"{hour:02d}:00") for hour in range(24)]],
    )
    quiet_end = forms.TypedChoiceField(
        label="until",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[(NO_QUIET_HOURS, "No quiet hours"), *[(hour, f"{hour:02d}:00") for hour in range(24)]],
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if self.errors:
            return data
        if (start is None) != (end is None):
            raise forms.ValidationError(
                "Choose both when quiet hours start and when they end, or \u201cNo quiet hours\u201d for both.",
                code="half",
            )
        if start is not None and start == end:
            raise forms.ValidationError("Quiet hours must end at another hour than they start.", code="empty")
        return data
