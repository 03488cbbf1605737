from django.core.management.base import BaseCommand

from notifications.push import vapid_key_pair


class Command(BaseCommand):
    help = (
        "Print a fresh VAPID key pair for Web Push, as environment lines. Set them once and keep them: "
        "a new pair makes every browser's subscription useless until it subscribes again."
    )

    def handle(self, *args, **options) -> None:
        public, private = vapid_key_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write("VAPID_SUBJECT=mailto:you@example.org")
