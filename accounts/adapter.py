from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email, filter_users_by_username
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import USERNAME_LOOKALIKE_MESSAGE, User


@dataclass(frozen=True)
class SiteIdentity:
    """What allauth's emails call the site (``current_site.name`` and ``.domain``)."""

    name: str
    domain: str


def site_identity() -> SiteIdentity:
    # Without django.contrib.sites allauth names the site after the request's host,
    # so mail from a server on another port said "Hello from 127.0.0.1:8101!".
    # The product's name and its configured address say who is writing.
    return SiteIdentity(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


def on_site(url: str, request: HttpRequest | None) -> str:
    """A link allauth built from the request's host, moved to SITE_URL.

    An email is read later, elsewhere: its links must open the site as
    configured, not whichever host name or port the request came in on.
    """
    if request is None or not isinstance(url, str):
        return url
    root = request.build_absolute_uri("/")
    if not url.startswith(root):
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url[len(root) :]


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A community under attack (spam waves) can close sign-up without a deploy.
        return settings.SIGNUP_OPEN

    def clean_username(self, username: str, shallow: bool = False) -> str:
        username = super().clean_username(username, shallow=shallow)
        # Members trust a name they know; one that looks the same but is spelt with
        # other characters would let someone pass for them.
        if not shallow and User.username_lookalike_taken(username):
            raise ValidationError(USERNAME_LOOKALIKE_MESSAGE, code="username_lookalike")
        return username

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the per-account failure counter on the request's host
        # ("127.0.0.1:8001:alice"), so every port or host alias an attacker could
        # name started a fresh count, and so did the email address versus the
        # username of the same account. Keyed on the account itself, the lockout
        # holds however the request is addressed and however the account is named.
        # A login that names no account keeps a key of its own (normalised text):
        # its counter behaves exactly like an account's, so the lockout does not
        # tell anyone which names exist.
        return login_attempts_key(**credentials)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        context = {key: on_site(value, request) for key, value in context.items()}
        super().send_mail(template_prefix, email, {**context, "current_site": site_identity()})


def login_attempts_key(**credentials: Any) -> str:
    email = (credentials.get("email") or "").strip()
    username = (credentials.get("username") or "").strip()
    if email:
        users = {user.pk for user in filter_users_by_email(email)}
        if len(users) == 1:
            return f"account:{users.pop()}"
    if username:
        users = set(filter_users_by_username(username).values_list("pk", flat=True)[:2])
        if len(users) == 1:
            return f"account:{users.pop()}"
    return f"login:{(email or username).lower()}"
