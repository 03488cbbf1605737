"""Daily: drop redacted originals from the audit trail once their retention period ends."""

from django.core.management.base import BaseCommand

from moderation.post_actions import moderation_purge_expired


class Command(BaseCommand):
    help = "Purge redacted text kept in moderation audit rows past its retention date (run daily)."

    def handle(self, *args, **options) -> None:
        purged = moderation_purge_expired()
        self.stdout.write(f"Purged redacted originals from {purged} audit row(s).")
