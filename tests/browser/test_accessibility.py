"""Every main page, signed out and signed in, in light and dark colour schemes: no
serious or critical axe-core finding. Many members read in dark mode to spare their eyes."""

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from discussions.models import Discussion

PUBLIC_PAGES = ["/", "/c/", "/c/mecfs/", "/search/?q=pacing", "/accounts/login/", "/accounts/signup/", "/no-such-page/"]
MEMBER_PAGES = [
    "/",
    "/c/mecfs/",
    "/d/new/",
    "/notifications/",
    "/notifications/settings/",
    "/settings/profile/",
    "/settings/privacy/",
    "/u/maya/",
    "/mod/",
    "/mod/log/",
]


@pytest.fixture
def demo(live_url):
    call_command("seed_demo")
    return live_url


def signed_in_context(browser, live_url: str, username: str, scheme: str):
    client = Client()
    client.force_login(User.objects.get(username=username))
    context = browser.new_context(color_scheme=scheme)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    return context


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_public_pages_are_accessible(demo, browser, scheme, assert_accessible):
    page = browser.new_context(color_scheme=scheme).new_page()
    public_discussion = Discussion.objects.get(title="How do you pace on days that start well?")
    for path in [*PUBLIC_PAGES, public_discussion.get_absolute_url()]:
        page.goto(demo + path)
        assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_member_and_moderator_pages_are_accessible(demo, browser, scheme, assert_accessible):
    page = signed_in_context(browser, demo, "sam_mod", scheme).new_page()
    discussions = Discussion.objects.order_by("pk")
    for path in [*MEMBER_PAGES, *(discussion.get_absolute_url() for discussion in discussions)]:
        page.goto(demo + path)
        assert_accessible(page)
