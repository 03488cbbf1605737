"""Liveness of the two parts every page and socket depends on."""

import asyncio
import uuid

from channels.layers import get_channel_layer
from django.db import connection

CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0


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
