import pytest
from django.db import OperationalError
from django.template.loader import render_to_string
from django.test import Client

pytestmark = pytest.mark.django_db


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
    assert "some-private-title" not in page


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
