"""What every page's scripts need to know from the settings."""

from django.conf import settings


def live_updates(request) -> dict:
    return {"reconnect_spread_ms": int(settings.LIVE_RECONNECT_SPREAD_SECONDS * 1000)}
