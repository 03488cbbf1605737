"""Every project URL plus the floor page.

The floor is what every page pays before doing its own work: the whole middleware stack, the
session read and the user lookup (login required), then a tiny template naming the member. It
has none of the site's chrome (base.html, its context processors and their queries): those are
part of what a real page costs.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from spoonful.urls import urlpatterns as project_urlpatterns

FLOOR = engines["django"].from_string(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Floor</title></head>'
    "<body><main><h1>Floor</h1><p>Signed in as {{ name }}.</p></main></body></html>"
)


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FLOOR.render({"name": request.user.get_username()}))


urlpatterns = [path("bench/floor/", floor), *project_urlpatterns]
