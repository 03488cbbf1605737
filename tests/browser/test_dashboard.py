"""A community moderator opens the Dashboard from the moderation nav, sees the charts,
opens a chart's table, narrows the window, and downloads the figures; no serious axe-core
finding in either colour scheme, on a wide screen and on a 390 px phone, and none of it
needs JavaScript."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from community.models import Community, Membership
from discussions import services
from discussions.models import Visibility
from moderation.models import Flag, ModerationAction

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def _signed_in_page(browser, live_url: str, user, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(**options)
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


@pytest.fixture
def moderated(user_factory):
    from taggit.models import Tag

    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", guidelines="Be kind")
    author = user_factory("alice", display_name="Alice")
    moderator = user_factory("sam", display_name="Sam", two_factor=True)
    Membership.objects.create(user=author, community=mecfs)
    Membership.objects.create(user=moderator, community=mecfs, role=Membership.Role.MODERATOR)
    discussion = services.discussion_create(
        author=author, title="Pacing", body="What helps?", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    now = timezone.now()
    for days, reason in ((20, Flag.Reason.SPAM), (9, Flag.Reason.CRISIS), (2, Flag.Reason.HARASSMENT)):
        flag = Flag.objects.create(discussion=discussion, reason=reason)
        Flag.objects.filter(pk=flag.pk).update(created_at=now - timedelta(days=days))
    ModerationAction.objects.create(actor=moderator, kind=ModerationAction.Kind.HIDE, community=mecfs)
    return moderator


@pytest.mark.parametrize(
    ("scheme", "viewport"),
    [("light", WIDE), ("dark", WIDE), ("light", PHONE), ("dark", PHONE)],
    ids=["light-wide", "dark-wide", "light-390", "dark-390"],
)
def test_a_moderator_reads_the_dashboard_charts_and_tables(
    live_url, browser, assert_accessible, moderated, scheme, viewport
):
    page = _signed_in_page(browser, live_url, moderated, color_scheme=scheme, viewport=viewport)
    page.goto(live_url + "/mod/")
    nav = page.get_by_role("navigation", name="Moderation")
    nav.get_by_role("link", name="Dashboard").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation dashboard for all your communities")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    chart = page.get_by_role("img", name="Open flags at the end of each week")
    expect(chart).to_be_visible()
    expect(page.get_by_role("img", name="Flags by reason")).to_be_visible()
    assert page.locator("svg[role=img]").count() == 9
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page)

    figure = page.locator("figure", has=page.get_by_role("heading", name="Flags by reason"))
    figure.get_by_text("Show the figures as a table").click()
    table = figure.get_by_role("table", name="Flags by reason")
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name="Someone may be in crisis or at risk of self-harm 1")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Weeks shown (4 to 52)").fill("2")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".errorlist")).to_contain_text("greater than or equal to 4")
    expect(page.get_by_label("Weeks shown (4 to 52)")).to_have_value("2")
    assert_accessible(page)

    page.get_by_label("Weeks shown (4 to 52)").fill("4")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("img", name="Open flags at the end of each week")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these figures (CSV)").click()
    assert download.value.suggested_filename.startswith("spoonful-dashboard-all-")


def test_the_dashboard_needs_no_javascript(live_url, browser, moderated):
    page = _signed_in_page(browser, live_url, moderated, java_script_enabled=False, viewport=PHONE)
    page.goto(live_url + "/mod/dashboard/?weeks=8")

    expect(page.get_by_role("img", name="Crisis flags raised each week")).to_be_visible()
    page.get_by_text("Show the figures as a table").first.click()
    expect(page.get_by_role("table", name="Open flags at the end of each week")).to_be_visible()
