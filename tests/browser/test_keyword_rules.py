"""A community moderator adds a keyword rule at /mod/rules/ (trying it on a sample text
first), a member's reply is held by it, and the moderator finds it in the queue; the new
pages have no serious axe-core finding in either colour scheme."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from community.models import Community, Membership
from discussions import services
from discussions.models import Reply, Visibility
from moderation.models import KeywordRule, ModerationAction


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
def thread(user_factory):
    from taggit.models import Tag

    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", guidelines="Be kind\nNo adverts")
    author = user_factory("alice", display_name="Alice")
    member = user_factory("carol", display_name="Carol")
    moderator = user_factory("sam", display_name="Sam", two_factor=True)
    for user, role in ((author, "member"), (member, "member"), (moderator, "moderator")):
        Membership.objects.create(user=user, community=mecfs, role=role)
    discussion = services.discussion_create(
        author=author,
        title="Pacing through a crash",
        body="What do you drop first?",
        hashtags=["mecfs"],
        visibility=Visibility.COMMUNITY,
    )
    return {"discussion": discussion, "member": member, "moderator": moderator}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_moderator_adds_a_rule_and_a_members_post_is_held_by_it(live_url, browser, assert_accessible, thread, scheme):
    mod = _signed_in_page(browser, live_url, thread["moderator"], scheme)
    mod.goto(live_url + "/mod/")
    mod.get_by_role("navigation", name="Moderation").get_by_role("link", name="Keyword rules").click()
    expect(mod.get_by_role("heading", level=1)).to_have_text("Keyword rules")
    expect(mod.get_by_text("No keyword rules yet.")).to_be_visible()
    assert_accessible(mod)

    mod.get_by_role("link", name="Add a rule").click()
    expect(mod.get_by_role("heading", level=1)).to_have_text("Add a keyword rule")
    assert_accessible(mod)

    # A pattern RE2 cannot run comes back as a form error naming why, with what was typed kept.
    mod.get_by_label("Word, phrase or pattern").fill("(?<!not )cured")
    mod.get_by_label("This is a pattern (regular expression, RE2 syntax)").check()
    mod.get_by_label("Hold the post for a moderator").check()
    mod.get_by_role("button", name="Add the rule").click()
    expect(mod.locator(".errorlist")).to_contain_text("Lookahead and lookbehind are not available")
    expect(mod.get_by_label("Word, phrase or pattern")).to_have_value("(?<!not )cured")
    assert_accessible(mod)

    # A plain phrase, tried on a sample first: nothing saved yet.
    mod.get_by_label("Word, phrase or pattern").fill("miracle powder")
    mod.get_by_label("This is a pattern (regular expression, RE2 syntax)").uncheck()
    mod.get_by_label("Try it on this text (not saved)").fill("Try my cousin's Miracle Powder, DM me")
    mod.get_by_role("button", name="Try it").click()
    expect(mod.locator(".mod-preview-result")).to_contain_text("Matches.")
    expect(mod.locator(".mod-preview-result")).to_contain_text("would be held")
    assert not KeywordRule.objects.exists()
    assert_accessible(mod)

    mod.get_by_role("button", name="Add the rule").click()
    expect(mod.locator(".messages")).to_contain_text("Rule added")
    expect(mod.locator(".mod-rules")).to_contain_text("miracle powder")
    expect(mod.locator(".mod-rules")).to_contain_text("Hold the post for a moderator")
    assert_accessible(mod)
    entry = ModerationAction.objects.get(kind=ModerationAction.Kind.KEYWORD_RULE)
    assert entry.actor == thread["moderator"] and entry.after["role"] == "community moderator"

    # A member replies with the phrase: the reply waits for a moderator.
    member = _signed_in_page(browser, live_url, thread["member"], scheme)
    member.goto(live_url + thread["discussion"].get_absolute_url())
    member.get_by_label("Your reply").fill("Try my cousin's miracle powder, DM me")
    member.get_by_role("button", name="Post reply").click()
    expect(member.get_by_text("waiting for a moderator")).to_be_visible()
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.HELD

    mod.goto(live_url + "/mod/")
    expect(mod.locator("#held-heading")).to_contain_text("(1)")
    held = mod.get_by_role("region", name="Waiting for approval (1)")
    expect(held.get_by_text("Try my cousin's miracle powder, DM me")).to_be_visible()
    mod.goto(live_url + "/mod/log/")
    expect(mod.locator(".mod-log")).to_contain_text("(community moderator)")
