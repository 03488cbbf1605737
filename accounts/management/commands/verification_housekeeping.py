from django.core.management.base import BaseCommand

from accounts.verification import verification_expire_due, verification_warn_expiring


class Command(BaseCommand):
    help = "Expire lapsed professional verifications and warn holders 30 days ahead. Safe to run repeatedly."

    def handle(self, *args, **options) -> None:
        expired = verification_expire_due()
        warned = verification_warn_expiring()
        self.stdout.write(f"expired {expired}, warned {warned}")
