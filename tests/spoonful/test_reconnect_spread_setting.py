"""Pages tell their scripts how widely to spread reconnects (LIVE_RECONNECT_SPREAD_SECONDS)."""

import pytest


@pytest.mark.django_db
def test_every_page_carries_the_reconnect_spread_from_the_settings(client, settings):
    settings.LIVE_RECONNECT_SPREAD_SECONDS = 12.5

    response = client.get("/")

    assert b'data-reconnect-spread-ms="12500"' in response.content
