"""Low-energy mode on a phone (390x844): the header toggle turns it on without a script,
counters, presence and live pills go, new replies wait until asked for, a long thread
opens with its first unread reply in view, and every page stays accessible in light
and dark."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from discussions.models import Discussion, ReadingPosition, Reply, Visibility
from notifications.models import Notification

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCHEMES = ["light", "dark"]


def make_discussion(author, *, replies: int = 0, replier=None) -> Discussion:
    discussion = Discussion.objects.create(
        author=author,
        title="Pacing on bad days",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=Visibility.MEMBERS,
        last_activity_at=timezone.now(),
    )
    Reply.objects.bulk_create(
        Reply(
            discussion=discussion,
            author=replier,
            number=number,
            path=f"{number:06d}",
            body=f"Reply {number}",
            body_html=f"<p>Reply {number}</p>",
        )
        for number in range(1, replies + 1)
    )
    Discussion.objects.filter(pk=discussion.pk).update(last_reply_number=replies, published_reply_count=replies)
    return discussion


def phone_page(browser, live_url: str, user, scheme: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_url, viewport=PHONE, color_scheme=scheme)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


@pytest.mark.parametrize("scheme", SCHEMES)
def test_turning_it_on_removes_counters_and_live_pills(
    live_url, browser, member, other_member, scheme, assert_accessible
):
    discussion = make_discussion(member, replies=2, replier=other_member)
    Notification.objects.create(recipient=member, kind=Notification.Kind.REPLY_TO_DISCUSSION, discussion=discussion)
    alice = phone_page(browser, live_url, member, scheme)
    carol = phone_page(browser, live_url, other_member, scheme)

    alice.goto(f"/d/{discussion.pk}/")
    expect(alice.locator(".live-reading")).to_have_text("1 reading")
    expect(alice.locator("[data-bell-number]")).to_be_visible()
    expect(alice.locator("#replies-heading .counter")).to_be_visible()

    # On a phone the toggle is in the header's menu, so the header stays one short row.
    alice.get_by_text("Menu", exact=True).click()
    toggle = alice.get_by_role("button", name="Low energy")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert_accessible(alice)
    toggle.click()

    expect(alice).to_have_url(f"{live_url}/d/{discussion.pk}/")
    expect(alice.locator("body")).to_have_class("low-energy")
    expect(alice.locator(".low-energy-toggle")).to_have_attribute("aria-pressed", "true")
    assert alice.locator(".site-header").bounding_box()["height"] <= PHONE["height"] / 10
    expect(alice.locator("[data-bell-number]")).to_be_hidden()
    expect(alice.locator(".bell-plain")).to_have_text("new")
    expect(alice.locator(".bell-plain")).to_be_visible()
    expect(alice.locator("#replies-heading .counter")).to_be_hidden()
    expect(alice.locator("#live-status")).to_be_attached()
    assert User.objects.get(pk=member.pk).low_energy
    assert alice.evaluate("getComputedStyle(document.querySelector('.low-energy-toggle')).transitionDuration") == "0s"
    assert_accessible(alice)

    carol.goto(f"/d/{discussion.pk}/")
    expect(carol.locator(".live-reading")).to_have_text("2 reading")
    expect(alice.locator(".live-reading")).to_be_hidden()
    alice.evaluate("window.__notReloaded = true")
    carol.locator("form.reply-form textarea[name=body]").fill("Rest before you are tired.")
    carol.get_by_role("button", name="Post reply").click()

    waiting = alice.get_by_role("button", name="Show 1 new reply")
    expect(waiting).to_be_visible()
    expect(alice.locator("#reply-3")).to_have_count(0)
    expect(alice.locator(".live-new-replies")).to_be_hidden()
    assert_accessible(alice)
    waiting.click()
    expect(alice.locator("#reply-3")).to_contain_text("Rest before you are tired.")
    expect(alice.locator("#reply-3")).to_be_in_viewport()
    expect(waiting).to_be_hidden()
    assert alice.evaluate("window.__notReloaded") is True

    alice.goto("/settings/low-energy/")
    expect(alice.get_by_label("Use low-energy mode")).to_be_checked()
    assert_accessible(alice)
    alice.get_by_label("Use low-energy mode").uncheck()
    alice.get_by_role("button", name="Save").click()
    expect(alice.locator("body")).not_to_have_class("low-energy")
    assert not User.objects.get(pk=member.pk).low_energy
    alice.context.close()
    carol.context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_long_thread_opens_with_the_first_unread_reply_in_view(
    live_url, browser, member, other_member, scheme, assert_accessible
):
    discussion = make_discussion(other_member, replies=80, replier=other_member)
    User.objects.filter(pk=member.pk).update(low_energy=True)
    ReadingPosition.objects.create(user=member, discussion=discussion, last_number=50, updated_at=timezone.now())
    alice = phone_page(browser, live_url, member, scheme)

    alice.goto(f"/d/{discussion.pk}/")

    expect(alice).to_have_url(f"{live_url}/d/{discussion.pk}/?at=51&since=50#reply-51")
    expect(alice.locator("#reply-51")).to_be_in_viewport()
    missed = alice.get_by_role("complementary", name="What you missed")
    expect(missed).to_contain_text("30 new replies since you were last here.")
    expect(missed.get_by_role("link")).to_have_count(10)
    assert_accessible(alice)
    assert ReadingPosition.objects.get(user=member, discussion=discussion).last_number == 80

    alice.get_by_role("link", name="Back to the first replies").click()
    expect(alice.locator("#reply-1")).to_be_attached()
    assert_accessible(alice)
    alice.context.close()


LOW_ENERGY_PAGES = [
    "/",
    "/c/",
    "/c/mecfs/",
    "/search/?q=pacing",
    "/d/new/",
    "/notifications/",
    "/notifications/settings/",
    "/settings/profile/",
    "/settings/low-energy/",
    "/settings/privacy/",
    "/u/maya/",
]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_page_is_accessible_in_low_energy_mode(live_url, browser, scheme, assert_accessible):
    call_command("seed_demo")
    maya = User.objects.get(username="maya")
    User.objects.filter(pk=maya.pk).update(low_energy=True, slow_to_reply=True)
    page = phone_page(browser, live_url, maya, scheme)
    discussions = [discussion.get_absolute_url() for discussion in Discussion.objects.order_by("pk")[:4]]
    for path in [*LOW_ENERGY_PAGES, *discussions]:
        page.goto(path)
        expect(page.locator("body")).to_have_class("low-energy")
        assert_accessible(page)
    page.context.close()
