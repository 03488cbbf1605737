"""A community moderator finds a banned member under "Muted and banned", keeps a note about
them, lifts the ban with a reason, and the member is told; axe-core in both colour schemes."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community, Membership
from moderation.member_actions import member_ban
from moderation.models import MemberNote, ModerationAction, ModerationNotice, Sanction


def _signed_in_page(browser, live_url: str, user, scheme: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(color_scheme=scheme)
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
def banned(user_factory):
    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", guidelines="Be kind\nNo adverts")
    moderator = user_factory("sam", display_name="Sam", two_factor=True)
    member = user_factory("carol", display_name="Carol")
    Membership.objects.create(user=moderator, community=mecfs, role=Membership.Role.MODERATOR)
    Membership.objects.create(user=member, community=mecfs)
    member_ban(acting_user=moderator, user=member, community=mecfs, reason="Selling a miracle powder", guideline=2)
    return {"community": mecfs, "moderator": moderator, "member": member}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_moderator_lifts_a_ban_and_the_member_is_told(live_url, browser, assert_accessible, banned, scheme):
    page = _signed_in_page(browser, live_url, banned["moderator"], scheme)
    page.goto(live_url + "/mod/")
    page.get_by_role("navigation", name="Moderation").get_by_role("link", name="Muted and banned").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Muted and banned members")
    item = page.locator(".mod-list > li").first
    expect(item).to_contain_text("Carol (carol): banned in #mecfs")
    expect(item).to_contain_text("Guideline 2. Selling a miracle powder")
    assert_accessible(page)

    # A note for the other moderators first, started from the banned member's entry.
    item.get_by_role("link", name="Add a note about Carol").click()
    expect(page.get_by_label("Member (username)")).to_have_value("carol")
    page.get_by_label("Note (moderators of this community only)").fill("Apologised by email; lift if it stays calm")
    page.get_by_role("button", name="Keep this note").click()
    expect(page.locator(".messages")).to_contain_text("Note kept about Carol in #mecfs.")
    expect(page.locator(".data-table")).to_contain_text("Apologised by email; lift if it stays calm")
    assert_accessible(page)

    # Lift the ban, with a reason the member reads.
    item = page.locator(".mod-list > li").first
    item.get_by_label("Reason for lifting (shown to the member)").fill("Apologised")
    item.get_by_role("button", name="Lift the ban on Carol").click()
    expect(page.locator(".messages")).to_contain_text("Lifted: Carol is told.")
    expect(page.locator("#sanctions-heading")).to_have_text("In force (0)")
    assert_accessible(page)

    assert Sanction.objects.get(kind=Sanction.Kind.BAN).lifted_at is not None
    lift = ModerationAction.objects.get(kind=ModerationAction.Kind.LIFT)
    assert lift.reason == "Apologised"
    assert ModerationNotice.objects.filter(user=banned["member"], action=lift).exists()
    assert MemberNote.objects.filter(member=banned["member"]).count() == 1

    # The member reads that it was lifted, and nothing of the note.
    member_page = _signed_in_page(browser, live_url, banned["member"], scheme)
    member_page.goto(live_url + "/mod/notices/")
    expect(member_page.locator("main")).to_contain_text("A moderator lifted the ban on your account.")
    expect(member_page.locator("main")).not_to_contain_text("Apologised by email")
    assert_accessible(member_page)
    member_page.context.close()
    page.context.close()
