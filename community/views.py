from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from community.health import channel_layer_status, database_status


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    response = render(request, "home.html")
    response.indexable = not request.user.is_authenticated
    return response


@never_cache
@require_safe
async def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": await sync_to_async(database_status)(),
        "channel_layer": await channel_layer_status(),
    }
    healthy = all(status == "ok" for status in checks.values())
    failing = [name for name, status in checks.items() if status != "ok"]
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if healthy else 503)
