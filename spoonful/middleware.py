import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


class PrivateByDefaultMiddleware:
    """Responses are private and unindexed unless a view says otherwise.

    A page rendered for a signed-in member may carry health details meant only
    for them, so no shared cache may keep it. Search engines see a page only when
    its view marks the response ``indexable`` (public discussions, communities,
    the home page), so a forgotten flag hides a page rather than leaking it.

    The service worker (templates/spoonful/sw.js) follows the same rule: it keeps a
    page for reading offline only when its view marks the response
    ``offline_cacheable`` (a discussion page its reader may see), and it keeps such
    pages under the sign-in that read them (``X-Spoonful-Viewer``), dropping them
    as soon as a page is answered for anyone else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Cookie"])
        if not getattr(response, "indexable", False):
            response["X-Robots-Tag"] = "noindex, nofollow"
        if getattr(response, "offline_cacheable", False) and request.method == "GET" and response.status_code == 200:
            response["X-Spoonful-Cacheable"] = "1"
        response["X-Spoonful-Viewer"] = _viewer_marker(request)
        if request.method == "POST" and _is_logout(request) and response.status_code in (200, 302):
            # Drafts and cached pages stay in the browser otherwise (shared computers).
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response


def _viewer_marker(request: HttpRequest) -> str:
    """Who a page was answered for, as the service worker may know it: one sign-in.

    Keyed on the session, so a new sign-in (even by the same member), a sign-out or a
    session that ended elsewhere all give a new marker. It reveals nothing itself.
    """
    if not request.user.is_authenticated:
        return "anonymous"
    session_key = request.session.session_key or ""
    return salted_hmac("spoonful.offline-viewer", session_key).hexdigest()[:20]


def _is_logout(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "account_logout"


class DatabaseUnavailableMiddleware:
    """A database that stops answering gives members a calm 503 page, not a traceback.

    Django reconnects by itself on the next request (CONN_HEALTH_CHECKS), so the
    page only asks them to try again shortly.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable: %s", type(exception).__name__)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response


class NulInPathMiddleware:
    """A NUL byte anywhere in the path is a 404 before any view looks it up.

    No hashtag, username, slug or key holds one, and PostgreSQL refuses NUL in
    text, so a lookup with it would be a 500 where any other unknown name is a
    404. Innermost, so the 404 page gets the same headers as every other page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            raise Http404("No such page.")
        return self.get_response(request)
