"""The cast's password and the second factor privileged members need."""

from allauth.mfa.models import Authenticator

from accounts.models import User

PASSWORD = "correct horse battery staple"


def enable_two_factor(user: User) -> Authenticator:
    """Staff, moderators and verified professionals act only with two-factor sign-in on."""
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "test-only"})
