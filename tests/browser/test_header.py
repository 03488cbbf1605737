"""Issue 11, item 20: on a phone the header is one short row with a "Menu" disclosure,
which works with or without JavaScript; wide screens show the whole list."""

import pytest
from django.test import Client
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _context(browser, live_url: str, user=None, **options):
    context = browser.new_context(**options)
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_the_header_takes_at_most_a_tenth_of_a_phone_screen(
    live_url, browser, user_factory, signed_in, assert_accessible
):
    member = user_factory("alice", display_name="Alice Longname-Whittington") if signed_in else None
    page = _context(browser, live_url, member, viewport=PHONE)

    page.goto(live_url + "/c/")

    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= PHONE["height"] / 10, f"header is {header['height']}px tall at 390x844"
    expect(page.get_by_role("link", name="Communities")).to_be_hidden()
    if signed_in:
        expect(page.locator("[data-notification-bell]")).to_be_visible()
    assert_accessible(page)

    page.get_by_text("Menu", exact=True).click()
    expect(page.get_by_role("link", name="Communities")).to_be_visible()
    assert_accessible(page)
    if signed_in:
        page.get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    else:
        page.get_by_role("link", name="Sign in").click()
        expect(page).to_have_url(live_url + "/accounts/login/")


def test_the_phone_menu_works_without_javascript(live_url, browser, user_factory):
    member = user_factory("alice", display_name="Alice")
    page = _context(browser, live_url, member, viewport=PHONE, java_script_enabled=False)

    page.goto(live_url + "/")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("link", name="Sign in")).to_be_attached()
    assert "Signed in as" not in page.content()


def test_wide_screens_show_the_whole_menu_without_a_toggle(live_url, browser, user_factory):
    member = user_factory("alice", display_name="Alice")
    page = _context(browser, live_url, member, viewport={"width": 1280, "height": 800})

    page.goto(live_url + "/")

    expect(page.get_by_role("link", name="Start a discussion").first).to_be_visible()
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    expect(page.locator("[data-nav-menu]")).to_have_attribute("open", "")
