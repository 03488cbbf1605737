"""Demo data for `make run`. Safe to run again: it converges instead of duplicating."""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User

DEMO_PASSWORD = "spoonful-demo-pass"

DEMO_MEMBERS = [
    # username, display name, what they are in the demo, extra user fields
    ("maya", "Maya R.", "patient with ME/CFS", {}),
    ("theo", "Theo", "caregiver for his partner with POTS", {}),
    ("dr_okafor", "Dr Ada Okafor", "verified physician (and a patient herself)", {}),
    ("sam_mod", "Sam", "moderator of #mecfs", {}),
    ("staff_jo", "Jo (staff)", "site staff", {"is_staff": True}),
]


class Command(BaseCommand):
    help = "Create or refresh the demo members, communities and discussions."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for username, name, _, fields in DEMO_MEMBERS:
            _member(username, name, **fields)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with any of these:"))
        for username, _, role, _ in DEMO_MEMBERS:
            self.stdout.write(f"  {username:<10} / {DEMO_PASSWORD}   ({role})")


def _member(username: str, display_name: str, **fields) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={"email": f"{username}@demo.spoonful.invalid", "display_name": display_name, **fields},
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user
