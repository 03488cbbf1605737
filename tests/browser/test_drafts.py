"""Capability 8 in a real browser: what a member types is saved on the server as they
type (never in browser storage), survives a reload, and a larger-text setting applies."""

import re

import pytest
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community
from discussions.models import Draft
from tests.helpers.users import PASSWORD

pytestmark = pytest.mark.browser

NO_BROWSER_STORAGE = "localStorage.length == 0 && sessionStorage.length == 0"


def sign_in(page, live_url: str, username: str) -> None:
    page.goto(live_url + "/accounts/login/")
    page.locator("input[name='login']").fill(username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("form").filter(has=page.locator("input[name='password']")).get_by_role("button").first.click()
    expect(page.locator(".signed-in")).to_contain_text("Signed in as")


def test_a_new_discussion_draft_survives_a_reload(live_url, page, user_factory, assert_accessible):
    user_factory("alice", display_name="Alice")
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    sign_in(page, live_url, "alice")

    page.goto(live_url + "/d/new/")
    page.get_by_label("Title").fill("Resting after appointments")
    page.get_by_label("What would you like to say?").press_sequentially("How long do you rest?")
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_have_text(
        re.compile(r"^Draft saved at \d\d:\d\d$")
    )
    assert_accessible(page)
    assert page.evaluate(NO_BROWSER_STORAGE)

    page.reload()
    expect(page.get_by_label("Title")).to_have_value("Resting after appointments")
    expect(page.get_by_label("What would you like to say?")).to_have_value("How long do you rest?")
    assert page.evaluate(NO_BROWSER_STORAGE)
    assert Draft.objects.get(user__username="alice", key="new").title == "Resting after appointments"

    # Posting it discards the draft: the next form is empty.
    page.get_by_label("Communities (hashtags)").fill("#mecfs")
    page.get_by_label("Anyone signed in to Spoonful (anyone can sign up)").check()
    page.get_by_role("button", name="Start discussion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resting after appointments")
    page.goto(live_url + "/d/new/")
    expect(page.get_by_label("Title")).to_have_value("")
    assert not Draft.objects.filter(user__username="alice").exists()
    assert page.evaluate(NO_BROWSER_STORAGE)


def test_larger_text_applies_to_every_page(live_url, page, user_factory, assert_accessible):
    user_factory("carol", display_name="Carol")
    sign_in(page, live_url, "carol")

    page.goto(live_url + "/settings/profile/")
    page.get_by_label("Largest").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("html")).to_have_class("text-largest")
    page.goto(live_url + "/")
    expect(page.locator("html")).to_have_class("text-largest")
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size > 16
    assert_accessible(page)
