"""Low-energy mode: one checkbox at /settings/low-energy/ and a toggle in the header, both
plain forms that work without JavaScript; when on, a ``low-energy`` class on <body>."""

import re

import pytest

from accounts.data_export import data_export_contents
from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/settings/low-energy/"


def body_classes(html: str) -> str:
    match = re.search(r"<body(?: class=\"([^\"]*)\")?>", html)
    assert match is not None
    return match.group(1) or ""


def test_the_settings_page_shows_one_checkbox_unticked_by_default(client, member):
    client.force_login(member)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input type="checkbox" name="enabled"(?![^>]*checked)[^>]*>', html)
    assert '<a href="/settings/low-energy/" aria-current="page">' in html


def test_ticking_the_box_turns_it_on_and_comes_back(client, member):
    client.force_login(member)

    response = client.post(URL, {"enabled": "on"})

    assert response.status_code == 302
    assert response["Location"] == URL
    member.refresh_from_db()
    assert member.low_energy is True
    html = client.get(URL).content.decode()
    assert re.search(r'<input type="checkbox" name="enabled"[^>]*checked', html)
    assert "low-energy" in body_classes(html)


def test_an_empty_form_turns_it_off(client, member):
    User.objects.filter(pk=member.pk).update(low_energy=True)
    client.force_login(member)

    response = client.post(URL, {})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.low_energy is False
    assert "low-energy" not in body_classes(client.get("/").content.decode())


@pytest.mark.parametrize("value", ["maybe", "2", "<script>"])
def test_a_value_no_checkbox_sends_is_refused_with_a_reason(client, member, value):
    client.force_login(member)

    response = client.post(URL, {"enabled": value})

    assert response.status_code == 400
    assert "Tick the box to turn low-energy mode on" in response.content.decode()
    member.refresh_from_db()
    assert member.low_energy is False


def test_the_header_toggle_turns_it_on_and_goes_back_to_the_page(client, member):
    client.force_login(member)
    html = client.get("/c/").content.decode()
    toggle = html[html.index('<li class="low-energy-item">') :]
    toggle = toggle[: toggle.index("</li>")]
    assert f'action="{URL}"' in toggle
    assert 'name="next" value="/c/"' in toggle
    assert 'name="enabled" value="on"' in toggle
    assert 'aria-pressed="false"' in toggle

    response = client.post(URL, {"enabled": "on", "next": "/c/?page=2"})

    assert response.status_code == 302
    assert response["Location"] == "/c/?page=2"
    member.refresh_from_db()
    assert member.low_energy is True


def test_when_on_the_toggle_sends_no_enabled_so_pressing_it_turns_it_off(client, member):
    User.objects.filter(pk=member.pk).update(low_energy=True)
    client.force_login(member)
    html = client.get("/").content.decode()
    toggle = html[html.index('<li class="low-energy-item">') :]
    toggle = toggle[: toggle.index("</li>")]
    assert 'name="enabled"' not in toggle
    assert 'aria-pressed="true"' in toggle

    client.post(URL, {"next": "/"})

    member.refresh_from_db()
    assert member.low_energy is False


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "http://testserver.evil/", "javascript:alert(1)", ""]
)
def test_the_toggle_only_goes_back_to_a_page_on_this_site(client, member, target):
    client.force_login(member)

    response = client.post(URL, {"enabled": "on", "next": target})

    assert response.status_code == 302
    assert response["Location"] == URL


def test_signed_out_visitors_are_sent_to_sign_in_and_see_no_toggle(client):
    response = client.post(URL, {"enabled": "on"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "low-energy-item" not in client.get("/").content.decode()


def test_other_methods_are_refused(client, member):
    client.force_login(member)

    assert client.put(URL).status_code == 405


def test_the_bell_says_new_in_words_and_the_counts_are_marked_to_hide(client, member):
    User.objects.filter(pk=member.pk).update(low_energy=True)
    client.force_login(member)

    html = client.get("/").content.decode()

    assert '<span class="bell-plain">new</span>' in html
    assert 'class="bell-number"' in html


def test_the_export_includes_low_energy_and_slow_to_reply(member):
    User.objects.filter(pk=member.pk).update(low_energy=True, slow_to_reply=True)
    member.refresh_from_db()

    account = data_export_contents(member)["account"]

    assert account["low_energy"] is True
    assert account["slow_to_reply"] is True
