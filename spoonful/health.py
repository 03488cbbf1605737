"""``/healthz``: liveness of the two parts every page and socket depends on, and the job workers' heartbeat."""

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from spoonful.jobs import last_heartbeat

CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0
# Three missed beats of the every-minute heartbeat.
HEARTBEAT_STALE_SECONDS = 180


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "down"; the type is in the log
        return f"error: {type(error).__name__}"
    return "ok"


async def channel_layer_status() -> str:
    """Send a message to ourselves through the layer and wait for it back."""
    layer = get_channel_layer()
    if layer is None:
        return "error: no channel layer configured"
    token = uuid.uuid4().hex
    try:
        channel = await layer.new_channel("healthz.")
        async with asyncio.timeout(CHANNEL_LAYER_TIMEOUT_SECONDS):
            await layer.send(channel, {"type": "healthz.ping", "token": token})
            message = await layer.receive(channel)
    except TimeoutError:
        return "error: no answer within 2 s"
    except Exception as error:
        return f"error: {type(error).__name__}"
    if message.get("token") != token:
        return "error: answer did not match"
    return "ok"


def worker_heartbeat() -> dict:
    """How long ago a job worker last proved alive (a heartbeat job runs every minute).

    Reported, not a failing check: pages and sockets work without workers, so a load
    balancer must not take the site down because the workers are; monitoring alerts on age.
    """
    try:
        beat = last_heartbeat()
    except Exception as error:
        return {"status": f"error: {type(error).__name__}", "last_heartbeat_age_seconds": None}
    if beat is None:
        return {"status": "no heartbeat yet", "last_heartbeat_age_seconds": None}
    age = int((timezone.now() - beat).total_seconds())
    return {"status": "ok" if age <= HEARTBEAT_STALE_SECONDS else "stale", "last_heartbeat_age_seconds": age}


@never_cache
@require_safe
async def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": await sync_to_async(database_status)(),
        "channel_layer": await channel_layer_status(),
    }
    healthy = all(status == "ok" for status in checks.values())
    failing = [name for name, status in checks.items() if status != "ok"]
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "workers": await sync_to_async(worker_heartbeat)(),
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if healthy else 503)
