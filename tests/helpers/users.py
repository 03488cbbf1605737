"""The cast's password, how a member is made, and the second factor privileged members need."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from accounts.models import User

PASSWORD = "correct horse battery staple"


def enable_two_factor(user: User) -> Authenticator:
    """Staff, moderators and verified professionals act only with two-factor sign-in on."""
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "test-only"})


def make_user(username: str, *, verified: bool = True, two_factor: bool = False, **fields) -> User:
    """A verified, consenting member: ``make_user("alice", is_staff=True)`` (the ``user_factory`` fixture)."""
    email = fields.pop("email", f"{username}@example.org")
    user = User.objects.create_user(username=username, email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    if two_factor:
        enable_two_factor(user)
    return user
