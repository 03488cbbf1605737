"""A larger-text setting (capability 8): chosen on the profile settings page, applied
to every page as a class on <html>, at no extra query."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.context_processors import reading_preferences
from accounts.models import User

pytestmark = pytest.mark.django_db

PROFILE_FIELDS = {"display_name": "Alice", "bio_visibility": "members", "conditions_visibility": "nobody"}
HTML_CLASS = re.compile(r'<html lang="en-GB" class="([^"]*)"[^>]*>')


def _html_class(response) -> str:
    return HTML_CLASS.search(response.content.decode()).group(1)


@pytest.mark.parametrize(("choice", "css_class"), [("larger", "text-larger"), ("largest", "text-largest")])
def test_choosing_larger_text_sets_the_class_on_every_page(client, member, choice, css_class):
    client.force_login(member)

    response = client.post("/settings/profile/", {**PROFILE_FIELDS, "text_size": choice})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.text_size == choice
    for url in ("/", "/c/", "/d/new/", "/settings/profile/"):
        assert _html_class(client.get(url)) == css_class


def test_standard_text_and_signed_out_visitors_get_no_class(client, member):
    assert _html_class(client.get("/")) == ""
    client.force_login(member)
    assert _html_class(client.get("/")) == ""


def test_the_settings_form_shows_the_current_choice(client, member):
    User.objects.filter(pk=member.pk).update(text_size=User.TextSize.LARGEST)
    client.force_login(member)

    page = client.get("/settings/profile/").content.decode()

    assert re.search(r'<input type="radio" name="text_size" value="largest"[^>]*checked', page)
    assert "Text size" in page


def test_an_unknown_size_is_refused_and_nothing_changes(client, member):
    client.force_login(member)

    response = client.post("/settings/profile/", {**PROFILE_FIELDS, "text_size": "enormous"})

    assert response.status_code == 400
    member.refresh_from_db()
    assert member.text_size == User.TextSize.STANDARD


def test_a_form_without_the_field_keeps_the_choice(client, member):
    User.objects.filter(pk=member.pk).update(text_size=User.TextSize.LARGER)
    client.force_login(member)

    response = client.post("/settings/profile/", PROFILE_FIELDS)

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.text_size == User.TextSize.LARGER


def test_the_preference_costs_no_query(client, member, rf):
    User.objects.filter(pk=member.pk).update(text_size=User.TextSize.LARGEST)
    client.force_login(member)
    client.get("/c/")  # loads the member's access context, as any earlier page would have
    with CaptureQueriesContext(connection) as largest:
        page = client.get("/c/")

    User.objects.filter(pk=member.pk).update(text_size=User.TextSize.STANDARD)
    with CaptureQueriesContext(connection) as standard:
        client.get("/c/")

    assert _html_class(page) == "text-largest"
    assert len(largest) == len(standard)
    # The processor itself reads only the already-loaded user.
    request = rf.get("/")
    request.user = User.objects.get(pk=member.pk)
    with CaptureQueriesContext(connection) as captured:
        assert str(reading_preferences(request)["text_size_class"]) == ""
    assert len(captured) == 0


def test_the_export_includes_the_text_size(member):
    from accounts.data_export import data_export_contents

    User.objects.filter(pk=member.pk).update(text_size=User.TextSize.LARGER)
    member.refresh_from_db()

    assert data_export_contents(member)["account"]["text_size"] == "larger"
