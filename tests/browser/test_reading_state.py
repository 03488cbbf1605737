"""Reading state on a phone (390x844), light and dark: Alice reads and follows a discussion,
Carol posts three replies, Alice sees "3 new replies" on the home page and on Following,
jumps to the first unread reply, and saves the discussion with a note she finds on Saved.
Every page passes axe-core."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from discussions.models import Bookmark, Discussion, Visibility

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def phone_page(browser, live_url: str, user, scheme: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_url, viewport=PHONE, color_scheme=scheme)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_new_replies_show_after_another_member_posts(
    live_url, browser, member, other_member, outsider, scheme, assert_accessible
):
    discussion = Discussion.objects.create(
        author=outsider,
        title="Pacing on bad days",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=Visibility.MEMBERS,
        last_activity_at=timezone.now(),
    )
    alice = phone_page(browser, live_url, member, scheme)
    carol = phone_page(browser, live_url, other_member, scheme)

    # Alice reads it (no replies yet) and follows it.
    alice.goto(f"/d/{discussion.pk}/")
    alice.get_by_role("button", name="Follow", exact=True).click()
    expect(alice.get_by_role("button", name="Unfollow")).to_be_visible()
    assert_accessible(alice)

    carol.goto(f"/d/{discussion.pk}/")
    for text in ("Rest before you are tired.", "A timer helps me.", "Lying down counts as rest."):
        carol.locator("form.reply-form textarea[name=body]").fill(text)
        carol.get_by_role("button", name="Post reply").click()
        expect(carol.locator(".replies")).to_contain_text(text)

    alice.goto("/")
    item = alice.locator(".discussion-item", has_text="Pacing on bad days")
    expect(item.locator(".mark-unread")).to_have_text("3 new replies")
    assert alice.locator(".site-header").bounding_box()["height"] <= PHONE["height"] / 10
    assert_accessible(alice)

    # Saved and Following are in the header's menu.
    alice.get_by_text("Menu", exact=True).click()
    alice.get_by_role("link", name="Following").click()
    expect(alice).to_have_url(f"{live_url}/following/")
    expect(alice.locator('.nav-list a[href="/following/"]')).to_have_attribute("aria-current", "page")
    expect(alice.locator(".discussion-item", has_text="Pacing on bad days")).to_contain_text("3 new replies")
    assert_accessible(alice)

    alice.get_by_role("link", name="Pacing on bad days").click()
    expect(alice.locator(".unread-note")).to_contain_text("3 new replies since you last read this")
    assert_accessible(alice)
    alice.get_by_role("link", name="Jump to first unread").click()
    expect(alice).to_have_url(re.compile(rf"/d/{discussion.pk}/[^?]*#reply-1$"))
    expect(alice.locator("#reply-1")).to_be_in_viewport()

    alice.get_by_role("link", name="Save with a note").click()
    assert_accessible(alice)
    alice.get_by_label("Note for yourself (optional)").fill("Try the timer idea")
    alice.get_by_role("button", name="Save", exact=True).click()
    expect(alice).to_have_url(re.compile(rf"/d/{discussion.pk}/"))
    expect(alice.get_by_role("button", name="Remove from Saved")).to_be_visible()
    assert Bookmark.objects.get(user=member, discussion=discussion).note == "Try the timer idea"

    alice.goto("/saved/")
    saved = alice.locator(".discussion-item", has_text="Pacing on bad days")
    expect(saved).to_contain_text("Your note: Try the timer idea")
    assert_accessible(alice)
    # Read now: nothing is new on the home page any more.
    alice.goto("/")
    expect(alice.locator(".discussion-item", has_text="Pacing on bad days").locator(".mark-unread")).to_have_count(0)
    alice.context.close()
    carol.context.close()
