"""What search engines are told: ``/robots.txt`` and ``/sitemap.xml``.

Mount in spoonful/urls.py::

    path("robots.txt", seo.robots_txt, name="robots_txt"),
    path("sitemap.xml", seo.sitemap, name="sitemap"),
"""

from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from spoonful.sitemaps import SITEMAPS

# Areas with nothing a crawler may index: per-member pages, moderation and search.
DISALLOWED = ("/mod/", "/settings/", "/notifications/", "/search/", "/accounts/", "/u/", "/admin/")


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines += ["Allow: /", "", f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=600)
def sitemap(request: HttpRequest) -> HttpResponse:
    # The same list for everyone (it is built from a visitor's view), so it may be cached.
    response = sitemap_views.sitemap(request, sitemaps=SITEMAPS)
    response.indexable = True
    return response
