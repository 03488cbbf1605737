"""The installable app: ``/manifest.webmanifest``, ``/sw.js`` and ``/offline/``.

Mount in spoonful/urls.py::

    path("manifest.webmanifest", app_shell.web_manifest, name="web_manifest"),
    path("sw.js", app_shell.service_worker, name="service_worker"),
    path("offline/", app_shell.offline, name="offline"),

The service worker is a template rendered here rather than a static file: it must be
served from the site root to control every page, and it carries a version made from the
files it keeps, so a deploy that changes any of them installs a new worker and drops the
old copies. What it may keep of the pages a member reads is decided by the server
(``X-Spoonful-Cacheable``, set in spoonful.middleware); see docs/architecture.md,
"The installable app".
"""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

# Colours of static/css/site.css (light scheme): the header's surface and the page behind it.
THEME_COLOUR = "#ffffff"
BACKGROUND_COLOUR = "#fbfaf7"
# How many pages a member read the worker keeps for reading offline.
OFFLINE_PAGES_KEPT = 10

ICONS = [
    {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "icons/maskable-192.png", "sizes": "192x192", "type": "image/png", "purpose": "maskable"},
    {"src": "icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    {"src": "icons/spoon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
]
NOTIFICATION_ICON = "icons/icon-192.png"


@require_safe
def web_manifest(request: HttpRequest) -> HttpResponse:
    manifest = {
        "id": "/",
        "name": "Spoonful",
        "short_name": "Spoonful",
        "description": "Peer support for people living with chronic illness and those who care for them.",
        "lang": "en-GB",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["health", "social"],
        "icons": [{**icon, "src": static(icon["src"])} for icon in ICONS],
    }
    response = JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"indent": 2})
    # The same for everyone; signed-in members' copies are still marked private by the middleware.
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = shell_urls()
    context = {
        "version": shell_version(),
        "shell_urls": json.dumps(shell),
        "offline_url": json.dumps(reverse("offline")),
        "notification_icon": json.dumps(static(NOTIFICATION_ICON)),
        "pages_kept": OFFLINE_PAGES_KEPT,
        "page_max_age_seconds": settings.SESSION_COOKIE_AGE,
    }
    response = render(request, "spoonful/sw.js", context, content_type="application/javascript; charset=utf-8")
    # Browsers check for a new worker on every visit; a cached copy would delay a fix.
    patch_cache_control(response, no_cache=True)
    return response


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    # Fetched by the worker when it installs and shown from its cache when the network is
    # gone, so it names nobody and queries nothing.
    return render(request, "spoonful/offline.html")


def shell_static_paths() -> list[str]:
    """Static files every page needs: all stylesheets and scripts, and the icons."""
    root = Path(settings.STATICFILES_DIRS[0])
    found = sorted(
        path.relative_to(root).as_posix() for pattern in ("css/*.css", "js/*.js") for path in root.glob(pattern)
    )
    return found + sorted({icon["src"] for icon in ICONS} | {NOTIFICATION_ICON})


def shell_urls() -> list[str]:
    return [static(path) for path in shell_static_paths()] + [reverse("offline")]


def shell_version() -> str:
    # Computed once per process in production (a deploy restarts it); in development
    # every edit to a stylesheet or script gives a new worker.
    return _version_of_files() if settings.DEBUG else _cached_version()


@cache
def _cached_version() -> str:
    return _version_of_files()


def _version_of_files() -> str:
    digest = hashlib.sha256()
    root = Path(settings.STATICFILES_DIRS[0])
    for path in shell_static_paths():
        digest.update(path.encode())
        digest.update((root / path).read_bytes())
    for template in ("spoonful/sw.js", "spoonful/offline.html"):
        digest.update(get_template(template).template.source.encode())
    digest.update(json.dumps(shell_urls()).encode())
    return digest.hexdigest()[:16]
