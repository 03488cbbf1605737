"""Issue 6 in a browser: the nudge before a public post, blocking, and the privacy
pages (export and delete), each checked with axe-core."""

import pytest
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community, Membership
from discussions.models import Discussion
from tests.helpers.browser import sign_in
from tests.helpers.users import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_is_nudged_before_posting_an_email_publicly_and_keeps_her_text(
    live_url, page, user_factory, assert_accessible
):
    alice = user_factory("alice", display_name="Alice")
    user_factory("dave", display_name="Dave")
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    community = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    Membership.objects.create(user=alice, community=community)

    sign_in(page, live_url, "alice", assert_accessible)
    page.goto(live_url + "/d/new/?c=mecfs")
    page.get_by_label("Title").fill("Looking for a pacing buddy")
    page.get_by_label("What would you like to say?").fill("Write to me at alice.home@example.com")
    page.get_by_label("Anyone, including search engines", exact=True).check()
    page.get_by_role("button", name="Start discussion").click()

    expect(page.get_by_role("heading", name="Before you post: this will be public")).to_be_visible()
    expect(page.get_by_label("What would you like to say?")).to_have_value("Write to me at alice.home@example.com")
    expect(page.locator(".privacy-nudge mark")).to_have_text("alice.home@example.com")
    assert_accessible(page)
    # No single button publishes the details: posting as it is needs the box ticked.
    page.get_by_role("button", name="Post it as it is").click()
    expect(page.get_by_role("heading", name="Before you post: this will be public")).to_be_visible()
    assert not Discussion.objects.exists()
    page.get_by_role("button", name="Make it community-only").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Looking for a pacing buddy")
    expect(page.locator(".state-visibility")).to_have_text("Only members of #mecfs")
    assert Discussion.objects.get().visibility == "community"

    page.goto(live_url + "/u/dave/")
    page.get_by_role("button", name="Block Dave").click()
    expect(page.get_by_role("button", name="Unblock Dave")).to_be_visible()
    assert_accessible(page)

    page.goto(live_url + "/settings/privacy/")
    assert_accessible(page)

    # Deleting the account asks for the password again first (allauth's reauthentication).
    page.goto(live_url + "/settings/privacy/delete/")
    expect(page).to_have_url(live_url + "/accounts/reauthenticate/?next=%2Fsettings%2Fprivacy%2Fdelete%2F")
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete my account")
    assert_accessible(page)
