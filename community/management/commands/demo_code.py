"""The current two-factor code for the demo accounts (see seed_demo)."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from community.management.commands.seed_demo import DEMO_TOTP_SECRET, DEMO_TWO_FACTOR_MEMBERS


def current_demo_code(now: float | None = None) -> str:
    counter = int(now if now is not None else time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))


class Command(BaseCommand):
    help = "Print the current two-factor code shared by the demo staff, moderator and clinician."

    def handle(self, *args, **options) -> None:
        members = ", ".join(DEMO_TWO_FACTOR_MEMBERS)
        self.stdout.write(f"{current_demo_code()}  (for {members}; it changes every {app_settings.TOTP_PERIOD} s)")
