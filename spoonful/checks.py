import base64
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.checks import Tags, Warning, register
from py_vapid import Vapid


@register(Tags.security, deploy=True)
def check_production_settings(app_configs, **kwargs) -> list[Warning]:
    """What Django's own deploy checks miss for this product."""
    problems = []
    if not settings.SECRET_KEY_FROM_ENVIRONMENT:
        problems.append(
            Warning(
                "SECRET_KEY is not set in the environment; a random key is used and every restart signs everyone out.",
                id="spoonful.W001",
            )
        )
    cache_backend = settings.CACHES["default"]["BACKEND"]
    if cache_backend.endswith(("LocMemCache", "DummyCache")):
        problems.append(
            Warning(
                "The cache is per process: rate limits and presence are not shared between daphne processes. "
                "Set REDIS_URL.",
                id="spoonful.W002",
            )
        )
    site = urlsplit(settings.SITE_URL)
    if not settings.SITE_URL_FROM_ENVIRONMENT or site.scheme != "https" or not site.netloc:
        problems.append(
            Warning(
                "SITE_URL must be set to the site's https:// address (such as https://spoonful.example): every "
                f"emailed link and one-click unsubscribe points there, and it is now {settings.SITE_URL}.",
                id="spoonful.W003",
            )
        )
    problems += _vapid_problems()
    return problems


def _vapid_problems() -> list[Warning]:
    """Push is optional (all three VAPID settings unset turns it off), but half a configuration is a mistake."""
    values = [settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT]
    if not any(values):
        return []
    if not all(values):
        return [
            Warning(
                "Set all of VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT, or none: push is off until then.",
                id="spoonful.W004",
            )
        ]
    problems = []
    if not settings.VAPID_SUBJECT.startswith(("mailto:", "https://")):
        problems.append(Warning("VAPID_SUBJECT must be a mailto: or https:// address.", id="spoonful.W004"))
    try:
        vapid = Vapid.from_string(settings.VAPID_PRIVATE_KEY)
    except Exception:
        problems.append(
            Warning("VAPID_PRIVATE_KEY is not a key; `manage.py vapid_keys` prints a pair.", id="spoonful.W004")
        )
        return problems
    public = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    if base64.urlsafe_b64encode(public).rstrip(b"=").decode() != settings.VAPID_PUBLIC_KEY.rstrip("="):
        problems.append(
            Warning(
                "VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY: push services would refuse every push.",
                id="spoonful.W004",
            )
        )
    return problems
