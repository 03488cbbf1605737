"""The cast's password, the second factor privileged members need, and a verified clinician's badge."""

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
