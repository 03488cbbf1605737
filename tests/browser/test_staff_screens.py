"""Staff run the site without the Django admin: they see how many verifications wait in
the header, make a community private and appoint a moderator at /mod/staff/communities/,
and add a crisis resource at /mod/crisis-resources/ (a plain-http address is refused with
what was typed kept). No serious axe-core finding, in both colour schemes and at 390 px."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.models import ProfessionalVerification
from community.models import Community, Membership
from moderation.models import CrisisResource, ModerationAction


def _signed_in_page(browser, live_url: str, user, scheme: str, width: int):
    client = Client()
    client.force_login(user)
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
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
def site(user_factory):
    from taggit.models import Tag

    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    alice = user_factory("alice", display_name="Alice")
    Membership.objects.create(user=alice, community=mecfs)
    ProfessionalVerification.objects.create(
        applicant=user_factory("lin", display_name="Lin"),
        profession=ProfessionalVerification.Profession.NURSE,
        licence_number="12A3456B",
        issuing_body="Nursing and Midwifery Council",
        country="UK",
    )
    staff = user_factory("jo", display_name="Jo", is_staff=True, two_factor=True)
    return {"mecfs": mecfs, "alice": alice, "staff": staff}


def _fits_the_width(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", 390)])
def test_staff_keep_communities_and_crisis_resources_without_the_admin(
    live_url, browser, assert_accessible, site, scheme, width
):
    page = _signed_in_page(browser, live_url, site["staff"], scheme, width)
    page.goto(live_url + "/")
    if width < 600:
        page.get_by_text("Menu", exact=True).click()
    verifications = page.get_by_role("link", name="Verifications, 1 waiting")
    expect(verifications).to_be_visible()
    assert_accessible(page)

    verifications.click()
    expect(page).to_have_url(live_url + "/mod/verifications/")
    page.goto(live_url + "/mod/")
    page.get_by_role("navigation", name="Moderation").get_by_role("link", name="Policy & moderators").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Policy and moderators")
    _fits_the_width(page)
    assert_accessible(page)

    mecfs = page.locator("#c-mecfs")
    mecfs.get_by_label("Private: by invitation, hidden from everyone else").check()
    mecfs.get_by_role("button", name="Save who can join #mecfs").click()
    expect(page.locator(".messages")).to_contain_text("#mecfs's policy is saved.")
    site["mecfs"].refresh_from_db()
    assert site["mecfs"].policy == Community.Policy.PRIVATE

    # A typo is refused where it was typed, and kept.
    mecfs = page.locator("#c-mecfs")
    mecfs.get_by_label("Username of a member to appoint").fill("alicee")
    mecfs.get_by_role("button", name="Appoint a moderator of #mecfs").click()
    mecfs = page.locator("#c-mecfs")
    expect(mecfs.locator(".errorlist")).to_contain_text("There is no active member with that username.")
    expect(mecfs.get_by_label("Username of a member to appoint")).to_have_value("alicee")
    assert_accessible(page)

    mecfs.get_by_label("Username of a member to appoint").fill("alice")
    mecfs.get_by_role("button", name="Appoint a moderator of #mecfs").click()
    expect(page.locator(".messages")).to_contain_text("Alice is now a moderator of #mecfs.")
    expect(page.locator("#c-mecfs .staff-moderators")).to_contain_text("Alice")
    assert Membership.objects.get(user=site["alice"]).is_moderator
    assert_accessible(page)

    page.get_by_role("navigation", name="Moderation").get_by_role("link", name="Crisis resources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Crisis resources")
    assert_accessible(page)
    page.get_by_role("link", name="Add a resource").click()
    page.get_by_label("Country code (empty: everywhere)").fill("gb")
    page.get_by_label("Name").fill("Samaritans")
    page.get_by_label("Phone number").fill("116 123")
    page.get_by_label("Web address (https)").fill("http://www.samaritans.org/")
    page.get_by_role("button", name="Add the resource").click()
    expect(page.locator(".errorlist")).to_contain_text("Give a full https:// address")
    expect(page.get_by_label("Phone number")).to_have_value("116 123")
    _fits_the_width(page)
    assert_accessible(page)

    page.get_by_label("Web address (https)").fill("https://www.samaritans.org/")
    page.get_by_role("button", name="Add the resource").click()
    expect(page.locator(".messages")).to_contain_text("Samaritans added.")
    expect(page.get_by_role("heading", name="Country: GB")).to_be_visible()
    _fits_the_width(page)
    assert_accessible(page)
    assert CrisisResource.objects.get().region == "GB"

    kinds = set(ModerationAction.objects.values_list("kind", flat=True))
    assert kinds == {"policy", "moderator_appoint", "crisis_resource"}
