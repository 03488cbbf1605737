"""Daily: data exports are kept for a week, then their archives are deleted."""

from django.core.management.base import BaseCommand

from accounts.data_export import data_export_delete_expired


class Command(BaseCommand):
    help = "Delete expired or failed data-export archives (run daily)."

    def handle(self, *args, **options) -> None:
        deleted = data_export_delete_expired()
        self.stdout.write(f"Deleted {deleted} expired data export(s).")
