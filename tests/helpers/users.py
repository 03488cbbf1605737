"""The cast's password, how a member is made, the second factor privileged members need, and a verified
clinician's badge."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import ProfessionalVerification, User

PASSWORD = "correct horse battery staple"


def enable_two_factor(user: User) -> Authenticator:
    """Staff, moderators and verified professionals act only with two-factor sign-in on."""
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "test-only"})


def approve_professional(user: User, *, days: int = 30) -> ProfessionalVerification:
    """An approved verification, as staff grant it: a physician in the UK for ``days`` more days."""
    return ProfessionalVerification.objects.create(
        applicant=user,
        profession="physician",
        licence_number="X-1",
        issuing_body="GMC",
        country="UK",
        status=ProfessionalVerification.Status.APPROVED,
        expires_at=timezone.now() + timezone.timedelta(days=days),
    )


def make_user(username: str, *, verified: bool = True, two_factor: bool = False, **fields) -> User:
    """A verified, consenting member: ``make_user("alice", is_staff=True)`` (the ``user_factory`` fixture)."""
    email = fields.pop("email", f"{username}@example.org")
    user = User.objects.create_user(username=username, email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    if two_factor:
        enable_two_factor(user)
    return user
