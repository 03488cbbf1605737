from django.core.management.base import BaseCommand

from notifications.emails import send_digests


class Command(BaseCommand):
    help = (
        "Send the daily digests that are due now (each member's chosen hour, once a day). "
        "The workers run this every hour (spoonful/schedules.py); running it by hand sends nothing twice."
    )

    def handle(self, *args, **options) -> None:
        digests = send_digests()
        self.stdout.write(self.style.SUCCESS(f"Sent {digests} digest(s)."))
