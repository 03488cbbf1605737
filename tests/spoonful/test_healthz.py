import json

import pytest
from channels.layers import InMemoryChannelLayer

from tests.helpers.environment import redis_url_or_skip

pytestmark = pytest.mark.django_db


def test_it_reports_healthy_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok"},
        "workers": {"status": "no heartbeat yet", "last_heartbeat_age_seconds": None},
    }
    assert "no-cache" in response["Cache-Control"]


def test_it_names_the_database_when_it_is_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == "error: OperationalError"
    assert body["checks"]["channel_layer"] == "ok"


class SilentLayer(InMemoryChannelLayer):
    """A layer that accepts messages and never delivers them."""

    async def receive(self, channel):
        import asyncio

        await asyncio.sleep(3600)


def test_it_names_the_channel_layer_when_it_does_not_answer(client, monkeypatch):
    monkeypatch.setattr("spoonful.health.CHANNEL_LAYER_TIMEOUT_SECONDS", 0.1)
    monkeypatch.setattr("spoonful.health.get_channel_layer", lambda: SilentLayer())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["channel_layer"]
    assert response.json()["checks"]["channel_layer"] == "error: no answer within 2 s"


def test_it_reports_an_unreachable_redis_as_unavailable(client, settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Port 9 (discard) is closed here: the connection is refused at once.
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()

    assert response.status_code == 503
    assert response.json()["failing"] == ["channel_layer"]
    assert response.json()["checks"]["channel_layer"].startswith("error: ")


def test_it_answers_through_a_real_redis_channel_layer(client, settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url_or_skip()]}}
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()

    assert response.status_code == 200
    assert response.json()["checks"]["channel_layer"] == "ok"
