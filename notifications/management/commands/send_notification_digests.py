from django.core.management.base import BaseCommand

from notifications.emails import send_digests, send_leftover_immediate


class Command(BaseCommand):
    help = (
        "Email each member's digest of what is waiting, and any immediate notification email "
        "left unsent. Nothing is ever sent twice. Schedule it once a day; schedule "
        "'--immediate-only' every few minutes to retry immediate emails a crash left behind."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--immediate-only", action="store_true", help="Only retry immediate emails, leave digests waiting."
        )

    def handle(self, *args, immediate_only: bool = False, **options) -> None:
        leftover = send_leftover_immediate()
        digests = 0 if immediate_only else send_digests()
        self.stdout.write(self.style.SUCCESS(f"Sent {digests} digest(s) and {leftover} delayed email(s)."))
