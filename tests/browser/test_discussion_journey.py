"""Issue 3: a member joins #mecfs and starts a discussion; another member replies to it
and to that reply; both see the thread in the right order."""

import re

import pytest
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community
from tests.helpers.browser import sign_in
from tests.helpers.xss import XSS_CORPUS

pytestmark = pytest.mark.browser


def join_mecfs(page, live_url: str, assert_accessible) -> None:
    page.goto(live_url + "/c/mecfs/")
    assert_accessible(page)
    page.get_by_role("button", name="Join #mecfs").click()
    expect(page.get_by_text("You are now a member of #mecfs.")).to_be_visible()
    assert_accessible(page)


def reply_numbers_in_order(page) -> list[str]:
    return page.locator("#replies article.reply").evaluate_all("nodes => nodes.map(n => n.dataset.number)")


def test_two_members_hold_a_threaded_conversation_in_mecfs(live_url, page, browser, user_factory, assert_accessible):
    user_factory("alice", display_name="Alice")
    user_factory("carol", display_name="Carol")
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", description="Myalgic encephalomyelitis")

    # Alice joins and starts a discussion for the community only.
    sign_in(page, live_url, "alice", assert_accessible)
    join_mecfs(page, live_url, assert_accessible)
    page.goto(live_url + "/d/new/?c=mecfs")
    assert_accessible(page)
    page.get_by_label("Title").fill("Pacing after a crash")
    expect(page.get_by_label("Communities (hashtags)")).to_have_value("#mecfs")
    page.get_by_label("What would you like to say?").fill("How long do you rest after a **crash**?")
    expect(page.get_by_label("Only members of #mecfs")).to_be_checked()
    page.get_by_role("button", name="Start discussion").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pacing after a crash")
    expect(page).to_have_title(re.compile("^Pacing after a crash"))
    assert_accessible(page)
    discussion_url = page.url

    # Carol joins, answers the discussion, then answers her own answer.
    carol_context = browser.new_context()
    carol = carol_context.new_page()
    carol.set_default_timeout(8000)
    sign_in(carol, live_url, "carol", assert_accessible)
    join_mecfs(carol, live_url, assert_accessible)
    carol.goto(discussion_url)
    assert_accessible(carol)
    carol.get_by_label("Your reply").fill("Usually three days flat, then slowly.")
    carol.get_by_role("button", name="Post reply").click()
    expect(carol.locator("#reply-1")).to_contain_text("Usually three days flat")
    assert carol.url.endswith("#reply-1")
    assert_accessible(carol)

    carol.locator("#reply-1").get_by_role("link", name="Reply to #1").click()
    expect(carol.locator("#replying-to-note")).to_contain_text("Replying to #1")
    carol.get_by_label("Your reply").fill("And a week of half days after that.")
    carol.get_by_role("button", name="Post reply").click()
    expect(carol.locator("#reply-2")).to_contain_text("a week of half days")
    assert_accessible(carol)

    # Alice answers the first reply too: it belongs under #1, after Carol's.
    page.goto(discussion_url)
    page.locator("#reply-1").get_by_role("link", name="Reply to #1").click()
    page.get_by_label("Your reply").fill("Thank you, that helps me plan.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator("#reply-3")).to_contain_text("that helps me plan")
    assert_accessible(page)

    # Carol fixes a word in her second reply; the thread shows it as edited.
    carol.goto(discussion_url)
    carol.locator("#reply-2").get_by_role("link", name="Edit reply #2").click()
    assert_accessible(carol)
    carol.get_by_label("Your reply").fill("And a week of half days after that, at least.")
    carol.get_by_role("button", name="Save changes").click()
    expect(carol.locator("#reply-2 .mark-edited")).to_have_text("edited")

    # Alice checks who can read it, and keeps it for the community.
    page.goto(discussion_url)
    page.get_by_role("link", name="Who can read this").click()
    assert_accessible(page)
    expect(page.get_by_label("Only members of #mecfs")).to_be_checked()

    for viewer in (page, carol):
        viewer.goto(discussion_url)
        expect(viewer.locator("#replies article.reply")).to_have_count(3)
        # Replies to #1 follow it in the order they were written.
        assert reply_numbers_in_order(viewer) == ["1", "2", "3"]
        expect(viewer.locator("#reply-2")).to_have_class(re.compile(r"\bindent-1\b"))
        expect(viewer.locator("#reply-3")).to_have_class(re.compile(r"\bindent-1\b"))
        expect(viewer.locator("#reply-1")).to_have_class(re.compile(r"\bindent-0\b"))
        expect(viewer.locator("#reply-1 .reply-author")).to_have_text("Carol")
        expect(viewer.locator("#reply-3 .mark-author")).to_have_text("author")
        assert_accessible(viewer)
    carol_context.close()


def test_the_xss_corpus_stays_inert_in_a_real_browser(live_url, page, user_factory, assert_accessible):
    from discussions import services

    author = user_factory("alice", display_name="Alice")
    replier = user_factory("carol", display_name="Carol")
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    sentinel = [payload.replace("alert(1)", "window.__xss=1") for payload in XSS_CORPUS]
    discussion = services.discussion_create(
        author=author,
        title='<img src=x onerror="window.__xss=1"> title',
        body="\n\n".join(sentinel[:18]),
        hashtags=["mecfs"],
        visibility="public",
        content_warning="<svg onload=window.__xss=1>",
    )
    for payload in sentinel[18:]:
        services.reply_create(author=replier, discussion=discussion, body=payload)

    page.goto(live_url + discussion.get_absolute_url())
    page.locator("details.content-warning summary").click()
    for link in page.locator(".post-body a").all():
        link.hover()
    page.wait_for_timeout(300)

    assert page.evaluate("window.__xss") is None
    assert page.locator(".post-body script, .post-body img, .post-body svg, .post-body iframe").count() == 0
    assert_accessible(page)
