from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


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


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A community under attack (spam waves) can close sign-up without a deploy.
        return settings.SIGNUP_OPEN

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": site_identity()})
