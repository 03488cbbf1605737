"""A community moderator opens Communities from the moderation navigation, rewrites the
guidelines, sets a new-account hold (a bad number first: kept, with the error) and
accepts a member's proposed name; the screens have no serious axe-core finding in
either colour scheme, on a desktop and at 390 px wide, and nothing overflows sideways."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from community import services as community_services
from community.models import Community, CommunityAlias, Membership
from moderation.models import ModerationAction

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _signed_in_page(browser, live_url: str, user, *, scheme: str, viewport: dict):
    client = Client()
    client.force_login(user)
    context = browser.new_context(color_scheme=scheme, viewport=viewport)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.fixture
def mecfs(user_factory):
    from taggit.models import Tag

    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    community = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", guidelines="Be kind\nNo adverts")
    member = user_factory("carol", display_name="Carol")
    moderator = user_factory("sam", display_name="Sam", two_factor=True)
    Membership.objects.create(user=member, community=community)
    Membership.objects.create(user=moderator, community=community, role=Membership.Role.MODERATOR)
    community_services.alias_propose(acting_user=member, community=community, name="myalgic")
    return {"community": community, "moderator": moderator}


@pytest.mark.parametrize(
    ("scheme", "viewport"), [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)]
)
def test_a_moderator_changes_guidelines_a_hold_and_accepts_a_name(
    live_url, browser, assert_accessible, mecfs, scheme, viewport
):
    mod = _signed_in_page(browser, live_url, mecfs["moderator"], scheme=scheme, viewport=viewport)
    mod.goto(live_url + "/mod/")
    mod_nav = mod.get_by_role("navigation", name="Moderation")
    mod_nav.get_by_role("link", name="Communities").click()
    expect(mod.get_by_role("heading", level=1)).to_have_text("Communities")
    expect(mod_nav.get_by_role("link", name="Communities")).to_have_attribute("aria-current", "page")
    expect(mod.get_by_text("1 name proposal waiting.")).to_be_visible()
    assert_accessible(mod)
    _no_sideways_scroll(mod)

    mod.get_by_role("main").get_by_role("link", name="#mecfs").click()
    expect(mod.get_by_role("heading", level=1)).to_contain_text("Settings of #mecfs")
    assert_accessible(mod)
    _no_sideways_scroll(mod)

    mod.get_by_role("textbox", name="Guidelines").fill("Be kind\nNo adverts\nNo dosing advice")
    mod.get_by_role("button", name="Save description and guidelines").click()
    expect(mod.locator(".messages")).to_contain_text("Description and guidelines saved.")
    expect(mod.locator(".mod-guidelines")).to_contain_text("No dosing advice")

    # A number out of bounds comes back as a form error, with what was typed kept.
    mod.get_by_label("Hold the first posts of each member").fill("3")
    mod.get_by_label("Hold the posts of accounts younger than (days)").fill("400")
    mod.get_by_role("button", name="Save the hold").click()
    expect(mod.locator("#id_days_errors")).to_contain_text("less than or equal to 90")
    expect(mod.get_by_label("Hold the posts of accounts younger than (days)")).to_have_value("400")
    expect(mod.get_by_label("Hold the first posts of each member")).to_have_value("3")
    assert_accessible(mod)

    mod.get_by_label("Hold the posts of accounts younger than (days)").fill("14")
    mod.get_by_role("button", name="Save the hold").click()
    expect(mod.locator(".messages")).to_contain_text("the first 3 posts of accounts younger than 14 days")

    mod.get_by_role("button", name="Accept #myalgic").click()
    expect(mod.locator(".messages")).to_contain_text("#myalgic is now another name for #mecfs")
    expect(mod.get_by_text("No names are waiting for a decision.")).to_be_visible()
    assert_accessible(mod)
    _no_sideways_scroll(mod)

    community = Community.objects.get(slug="mecfs")
    assert community.guideline_list()[-1] == "No dosing advice"
    assert (community.new_account_hold_posts, community.new_account_days) == (3, 14)
    assert CommunityAlias.objects.get(name="myalgic").status == CommunityAlias.Status.ACCEPTED
    roles = {entry.after["role"] for entry in ModerationAction.objects.all()}
    assert roles == {"community moderator"}

    mod.goto(live_url + "/mod/log/")
    expect(mod.locator(".mod-log")).to_contain_text("Changed a community's settings in #mecfs")
    expect(mod.locator(".mod-log")).to_contain_text("(community moderator)")
