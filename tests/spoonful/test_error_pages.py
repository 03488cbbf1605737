import html
import re
from urllib.parse import parse_qs

import pytest
from django.db import OperationalError
from django.template.loader import render_to_string
from django.test import Client

from discussions import services
from discussions.models import Visibility

pytestmark = pytest.mark.django_db

SIGN_IN = re.compile(r'<a href="/accounts/login/\?next=([^"]*)">Sign in</a>')


def sign_in_returns_to(response) -> list[str]:
    """Where each "Sign in" link on the page brings the visitor back to."""
    return [parse_qs(f"next={html.unescape(query)}")["next"][0] for query in SIGN_IN.findall(response.content.decode())]


def test_a_database_that_stops_answering_gives_a_calm_503(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused (host db.internal)")

    monkeypatch.setattr("discussions.views.discussion_page_get_or_404", down)

    response = client.get("/d/1/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Spoonful is resting for a moment" in page
    assert "db.internal" not in page
    assert "Traceback" not in page


def test_missing_pages_are_branded_and_say_nothing_about_what_was_asked(client):
    response = client.get("/d/987654/some-private-title/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "We couldn't find that page" in page
    # The path comes back only inside the sign-in link, never as words on the page.
    assert "some-private-title" not in SIGN_IN.sub("", page)


def test_a_signed_out_visitor_can_sign_in_from_a_members_only_discussion_and_come_back(
    client, member, community_factory
):
    community_factory("mecfs")
    discussion = services.discussion_create(
        author=member, title="Pacing", body="What helps?", hashtags=["mecfs"], visibility=Visibility.MEMBERS
    )

    response = client.get(f"/d/{discussion.pk}/?page=2")

    assert response.status_code == 404
    assert sign_in_returns_to(response) == [f"/d/{discussion.pk}/?page=2"]


def test_every_404_offers_a_signed_out_visitor_the_same_sign_in_so_it_reveals_nothing(client):
    response = client.get("/d/987654/")

    assert response.status_code == 404
    assert sign_in_returns_to(response) == ["/d/987654/"]


def test_the_sign_in_link_escapes_the_requested_path(client):
    response = client.get('/no/such/"><script>?a=1&next=//evil.example')

    assert response.status_code == 404
    assert "<script>" not in response.content.decode()
    # One next parameter, the whole path with its own query inside it.
    assert sign_in_returns_to(response) == ["/no/such/%22%3E%3Cscript%3E?a=1&next=//evil.example"]


def test_a_signed_in_member_gets_no_sign_in_link_on_a_404(client, member):
    client.force_login(member)

    response = client.get("/d/987654/")

    assert response.status_code == 404
    assert "/accounts/login/" not in response.content.decode()


def test_the_server_error_page_renders_without_a_request_or_database():
    page = render_to_string("500.html")

    assert "Something went wrong on our side" in page
    # It cannot know whether a post was saved, so it promises only what is true.
    assert "nothing you posted is lost" not in page.lower()
    assert "your text is still in the form" in page


def test_an_unhandled_error_shows_the_branded_500_page(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("discussions.views.discussion_page_get_or_404", broken)
    client = Client(raise_request_exception=False)

    response = client.get("/d/1/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "secret internals" not in response.content.decode()
