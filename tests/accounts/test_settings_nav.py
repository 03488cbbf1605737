"""The Settings menu reaches every setting a member has, notifications included."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_settings_menu_links_to_notification_settings(client, member):
    client.force_login(member)

    html = client.get("/settings/profile/").content.decode()

    nav = html[html.index('<nav class="settings-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert 'href="/notifications/settings/"' in nav


def test_notification_settings_page_shows_the_settings_menu_with_itself_current(client, member):
    client.force_login(member)

    html = client.get("/notifications/settings/").content.decode()

    assert 'aria-label="Settings"' in html
    assert '<a href="/notifications/settings/" aria-current="page">' in html
