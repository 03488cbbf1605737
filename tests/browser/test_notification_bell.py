"""Issue 8: the bell's unread count rises live when another member replies, and the
notifications page lists the reply without naming more than the reader may see."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community, Membership
from discussions.models import Discussion, Visibility
from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser


def test_the_bell_count_rises_live_when_another_member_replies(
    live_url, page, browser, user_factory, assert_accessible
):
    alice = user_factory("alice", display_name="Alice")
    carol = user_factory("carol", display_name="Carol")
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    community = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    for user in (alice, carol):
        Membership.objects.create(user=user, community=community)
    discussion = Discussion.objects.create(
        author=alice,
        title="Pacing after a crash",
        body="How long do you rest?",
        body_html="<p>How long do you rest?</p>",
        visibility=Visibility.COMMUNITY,
        last_activity_at=timezone.now(),
    )
    discussion.tags.add(tag)

    # Alice waits on the home page; her bell shows nothing unread.
    sign_in(page, live_url, "alice", assert_accessible)
    page.goto(live_url + "/")
    count = page.locator("[data-bell-number]")
    expect(count).to_have_text("0")
    page.wait_for_timeout(500)  # the socket is open before Carol writes

    carol_context = browser.new_context()
    carol_page = carol_context.new_page()
    carol_page.set_default_timeout(8000)
    sign_in(carol_page, live_url, "carol", assert_accessible)
    carol_page.goto(f"{live_url}/d/{discussion.pk}/")
    carol_page.get_by_label("Your reply").fill("Three days flat, then slowly. @alice")
    carol_page.get_by_role("button", name="Post reply").click()
    expect(carol_page.locator("#reply-1")).to_contain_text("Three days flat")

    # Without a reload, Alice's bell now counts the reply.
    expect(count).to_have_text("1", timeout=5000)
    assert_accessible(page)

    page.locator("[data-notification-bell]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.locator(".notification").first).to_contain_text("Pacing after a crash")
    assert_accessible(page)
    page.get_by_role("button", name="Mark all as read").click()
    expect(count).to_have_text("0")
    carol_context.close()
