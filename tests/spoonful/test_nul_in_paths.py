"""A NUL byte in a path segment is a 404, on every URL that takes a hashtag, username,
slug or key: PostgreSQL refuses NUL in text, so a lookup with one would be a 500.

The URLs are read from the URL configuration itself, so a new one is covered the
day it is added.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(?P<kind>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(patterns, prefix: str = ""):
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regex routes (the admin's app list) take no free text
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _with_nul(route: str) -> str | None:
    """The route with a NUL in each text segment (numbers stay numbers); None if it has none."""
    texts = 0

    def fill(match: re.Match) -> str:
        nonlocal texts
        if match["kind"] == "int":
            return "1"
        texts += 1
        return "a%00b"

    url = "/" + CONVERTER.sub(fill, route)
    return url if texts else None


# The admin's object pages are staff-only and all alike: one stands for them.
TEXT_ROUTES = sorted(
    {url for route in _routes(get_resolver().url_patterns) if (url := _with_nul(route)) and "admin/" not in url}
    | {"/admin/accounts/user/a%00b/change/"}
)


def test_the_routes_cover_hashtags_usernames_and_keys():
    for expected in ("/c/a%00b/", "/u/a%00b/", "/u/a%00b/avatar/", "/professionals/a%00b/", "/u/a%00b/block/"):
        assert expected in TEXT_ROUTES


def _assert_not_found(member, url: str) -> None:
    signed_in = Client()
    signed_in.force_login(member)
    for client in (Client(), signed_in):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, f"{method.__name__.upper()} {url}: {response.status_code}"


@pytest.mark.parametrize("url", TEXT_ROUTES)
def test_a_nul_byte_in_a_path_segment_is_not_found(member, url):
    _assert_not_found(member, url)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
@pytest.mark.parametrize("url", TEXT_ROUTES)
def test_a_nul_byte_in_a_path_segment_is_not_found_on_postgresql(member, url):
    _assert_not_found(member, url)


def test_a_nul_byte_at_the_end_of_a_hashtag_is_not_found(member, community_factory):
    community_factory("mecfs")

    assert Client().get("/c/mecfs%00/").status_code == 404
    assert Client().get("/c/mecfs/").status_code == 200
