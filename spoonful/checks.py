from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
    return problems
