"""The icon every browser asks for at /favicon.ico, and the one every page names."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_favicon_is_served_at_the_site_root(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header, not an error page


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_links_the_favicon_and_the_svg_icon(client, member, signed_in):
    if signed_in:
        client.force_login(member)

    html = client.get("/c/").content.decode()

    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html
    svg = re.search(r'<link rel="icon" href="/static/([^"]+\.svg)" type="image/svg\+xml">', html)
    assert svg, "no SVG icon linked"
    assert finders.find(svg.group(1)), f"{svg.group(1)} is not a static file"
