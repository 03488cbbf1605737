"""Two members on the same discussion see each other's replies arrive live, and a
page whose connection dropped catches up on what it missed, each reply once."""

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from discussions.models import Discussion, Visibility

pytestmark = pytest.mark.browser


def make_discussion(author) -> Discussion:
    return Discussion.objects.create(
        author=author,
        title="Pacing on bad days",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=Visibility.MEMBERS,
        last_activity_at=timezone.now(),
    )


def signed_in_page(browser, live_url: str, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_url)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


def open_discussion(page, discussion: Discussion) -> None:
    page.goto(f"/d/{discussion.pk}/")
    expect(page.locator("#live-status")).to_be_attached()


def post_reply(page, body: str) -> None:
    page.locator("form.reply-form textarea[name=body]").fill(body)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()


def test_two_members_see_each_others_replies_live(live_url, browser, member, other_member, assert_accessible):
    discussion = make_discussion(member)
    alice = signed_in_page(browser, live_url, member)
    carol = signed_in_page(browser, live_url, other_member)
    open_discussion(alice, discussion)
    open_discussion(carol, discussion)
    carol.evaluate("window.__notReloaded = true")
    expect(carol.locator(".live-reading")).to_have_text("2 reading")

    post_reply(alice, "Rest before you are tired.")

    expect(carol.locator("#reply-1")).to_contain_text("Rest before you are tired.")
    expect(carol.get_by_role("status").filter(has_text="New reply #1")).to_be_attached()
    assert carol.evaluate("window.__notReloaded") is True

    open_discussion(alice, discussion)
    post_reply(carol, "Thank you, that helps.")
    expect(alice.locator("#reply-2")).to_contain_text("Thank you, that helps.")
    expect(alice.locator("article[data-number]")).to_have_count(2)

    assert_accessible(carol)
    alice.context.close()
    carol.context.close()


def test_a_dropped_connection_catches_up_each_reply_once_in_order(
    live_url, browser, member, other_member, assert_accessible
):
    discussion = make_discussion(member)
    alice = signed_in_page(browser, live_url, member)
    carol = signed_in_page(browser, live_url, other_member)
    open_discussion(carol, discussion)
    expect(carol.locator(".live-reading")).to_have_text("1 reading")

    carol.evaluate("document.dispatchEvent(new Event('spoonful:live-pause'))")
    open_discussion(alice, discussion)
    post_reply(alice, "Missed while offline, first.")
    post_reply(alice, "Missed while offline, second.")
    expect(carol.locator("#reply-1")).to_have_count(0)

    carol.evaluate("document.dispatchEvent(new Event('spoonful:live-resume'))")

    expect(carol.locator("article[data-number]")).to_have_count(2)
    assert carol.locator("article[data-number]").evaluate_all("els => els.map(e => e.dataset.number)") == ["1", "2"]
    # And live again afterwards: the next one arrives once too.
    post_reply(alice, "Back online.")
    expect(carol.locator("#reply-3")).to_contain_text("Back online.")
    expect(carol.locator("article[data-number]")).to_have_count(3)
    assert_accessible(carol)
    alice.context.close()
    carol.context.close()
