from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.http import HttpRequest


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

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        site = SimpleNamespace(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)
        context = {key: on_site(value, request) for key, value in context.items()}
        super().send_mail(template_prefix, email, {**context, "current_site": site})
