"""Rate limits for posting, flagging and joining, per member and per address.

Counters live in Django's cache, which production shares between processes
(Redis); fixed windows keep it to one ``incr`` per rule. Settings may override
the limits with ``SPOONFUL_RATE_LIMITS = {"flag": [("user", 10, 600)], ...}``
or switch them all off with ``SPOONFUL_RATE_LIMITS = False`` (tests that are
not about limits do not need to: the defaults are far above what they do).

Use in a view, before the service call::

    limited = rate_limit_check(request, "flag")
    if limited:
        return rate_limited_response(request, "moderation/flag.html", {"form": form}, limited)

The response is a 429 with ``Retry-After`` that re-renders the same form, so
nothing the member typed is lost.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from allauth import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from spoonful.cache import incr_counters

# action: [(scope, how many, per how many seconds)]
DEFAULT_LIMITS: dict[str, list[tuple[str, int, int]]] = {
    "post": [("user", 10, 60), ("user", 60, 3600), ("ip", 60, 60)],
    "flag": [("user", 10, 600), ("ip", 40, 600)],
    "join": [("user", 20, 3600), ("ip", 60, 3600)],
    # One click each; generous for reading a long thread, bounded against scripts.
    "react": [("user", 60, 60), ("user", 600, 3600)],
    # Drafts save as a member types (every ~1.5 s at most): generous, but bounded.
    "draft": [("user", 120, 60)],
    # Members per account; signed-out visitors per address ("visitor" skips members).
    "search": [("user", 30, 60), ("visitor", 30, 60)],
    "message": [("user", 20, 60), ("user", 200, 3600)],
}

ACTION_WORDS = {
    "post": "posted",
    "flag": "flagged",
    "join": "joined",
    "react": "reacted",
    "draft": "saved drafts",
    "search": "searched",
    "message": "sent messages",
}


@dataclass(frozen=True)
class RateLimited:
    message: str
    retry_after: int


def _limits(action: str) -> list[tuple[str, int, int]]:
    configured = getattr(settings, "SPOONFUL_RATE_LIMITS", None)
    if configured is False:
        return []
    if isinstance(configured, dict) and action in configured:
        return list(configured[action])
    return DEFAULT_LIMITS.get(action, [])


def client_ip(request: HttpRequest) -> str:
    """The client address as allauth sees it (honouring its trusted-proxy settings)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:
        return request.META.get("REMOTE_ADDR", "") or "unknown"


def socket_client_ip(scope: dict) -> str:
    """The client address of a websocket, found the way ``client_ip`` finds a request's.

    daphne runs without ``--proxy-headers``, so behind the proxy ``scope["client"]``
    is the proxy itself: the address is read from X-Forwarded-For counted from the
    right by the trusted hops (entries further left are whatever the client wrote).
    """
    headers: dict[str, list[str]] = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    trusted_header = allauth_settings.TRUSTED_CLIENT_IP_HEADER
    if trusted_header:
        values = headers.get(trusted_header.lower())
        if values and values[-1].strip():
            return values[-1].strip()
    hops = allauth_settings.TRUSTED_PROXY_COUNT
    forwarded = [ip.strip() for ip in ",".join(headers.get("x-forwarded-for", [])).split(",") if ip.strip()]
    if hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _identity(request: HttpRequest, scope: str) -> str | None:
    if scope == "user":
        return str(request.user.pk) if request.user.is_authenticated else None
    if scope == "visitor" and request.user.is_authenticated:
        return None
    # Hashed so raw addresses never sit in the cache.
    return hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def rate_limit_check(request: HttpRequest, action: str) -> RateLimited | None:
    """Count one attempt at ``action``; say how long to wait when a limit is over."""
    now = int(time.time())
    windows = {}
    for scope, allowed, period in _limits(action):
        identity = _identity(request, scope)
        if identity is None:
            continue
        window = now - now % period
        windows[f"ratelimit:{action}:{scope}:{period}:{identity}:{window}"] = (allowed, window, period)
    # Every window counted in one go (one round trip to Redis).
    counts = incr_counters(cache, {key: period + 5 for key, (_, _, period) in windows.items()}) if windows else []
    worst: int | None = None
    for (allowed, window, period), count in zip(windows.values(), counts, strict=True):
        if count > allowed:
            worst = max(worst or 0, max(1, window + period - now))
    if worst is None:
        return None
    verb = ACTION_WORDS.get(action, action)
    return RateLimited(
        message=f"You have {verb} a lot in a short time. Please wait {_wait_words(worst)} and try again; "
        "what you typed is still here.",
        retry_after=worst,
    )


def rate_limited_response(request: HttpRequest, template: str, context: dict, limited: RateLimited) -> HttpResponse:
    response = render(request, template, {**context, "rate_limited": limited}, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response
