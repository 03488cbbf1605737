"""A member flags a reply, a moderator removes it from the queue, the thread shows
the tombstone (live when the page keeps a socket open), and the author is told why."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from community.models import Community, Membership
from discussions import services
from discussions.models import Reply, Visibility
from moderation.models import Flag, ModerationAction


def _sign_in(context, live_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_url,
            }
        ]
    )


@pytest.fixture
def thread(user_factory):
    from taggit.models import Tag

    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", guidelines="Be kind\nNo advice\nNo adverts")
    flagger = user_factory("alice", display_name="Alice")
    author = user_factory("carol", display_name="Carol")
    moderator = user_factory("sam", display_name="Sam", two_factor=True)
    for user, role in ((flagger, "member"), (author, "member"), (moderator, "moderator")):
        Membership.objects.create(user=user, community=mecfs, role=role)
    discussion = services.discussion_create(
        author=flagger,
        title="Pacing through a crash",
        body="What do you drop first?",
        hashtags=["mecfs"],
        visibility=Visibility.COMMUNITY,
    )
    reply = services.reply_create(author=author, discussion=discussion, body="Try my cousin's miracle powder, DM me")
    return {"discussion": discussion, "reply": reply, "flagger": flagger, "author": author, "moderator": moderator}


def test_a_flagged_reply_is_removed_from_the_queue_and_the_author_is_told_why(
    live_url, page, browser, assert_accessible, thread
):
    discussion, reply = thread["discussion"], thread["reply"]
    thread_url = live_url + discussion.get_absolute_url()

    # The author has the thread open while all this happens.
    author_context = browser.new_context()
    _sign_in(author_context, live_url, thread["author"])
    author_page = author_context.new_page()
    author_page.set_default_timeout(8000)
    sockets = []
    author_page.on("websocket", lambda socket: sockets.append(socket.url))
    author_page.goto(thread_url)
    expect(author_page.locator("#reply-1")).to_contain_text("miracle powder")

    # A member flags the reply.
    _sign_in(page.context, live_url, thread["flagger"])
    page.goto(thread_url)
    page.goto(f"{live_url}/mod/flag/reply/{reply.pk}/?next={discussion.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Flag this reply for the moderators")
    assert_accessible(page)
    page.get_by_label("Spam or advertising").check()
    page.get_by_label("Anything the moderators should know (optional)").fill("Selling a powder")
    page.get_by_role("button", name="Send to the moderators").click()
    expect(page.locator(".messages")).to_contain_text("Your flag was received")
    page.goto(live_url + "/mod/flags/")
    expect(page.locator(".mod-flag-status")).to_contain_text("Received, waiting for a moderator")
    assert_accessible(page)

    # The moderator removes it from the queue, with a guideline and a reason.
    page.context.clear_cookies()
    _sign_in(page.context, live_url, thread["moderator"])
    page.goto(live_url + "/mod/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    expect(page.locator(".mod-list").first).to_contain_text("1 flag: Spam or advertising")
    assert_accessible(page)
    item = page.locator(".mod-list > li").first
    item.get_by_label("Reason (optional, shown to the author)").fill("Selling products")
    item.get_by_label("Guideline no.").fill("3")
    item.get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("Removed.")
    expect(page.locator("#flagged-heading")).to_have_text("Flagged posts (0)")
    assert_accessible(page)

    assert Reply.objects.get(pk=reply.pk).status == Reply.Status.REMOVED
    assert ModerationAction.objects.filter(kind="remove", reply=reply).count() == 1
    assert Flag.objects.get().status == Flag.Status.ACTIONED

    page.goto(live_url + "/mod/log/")
    expect(page.locator(".mod-log")).to_contain_text("Selling products")
    assert_accessible(page)

    # The thread shows the tombstone: live if the page holds a socket, else on reload.
    tombstone = author_page.locator("#reply-1 .tombstone")
    if not any("/ws/d/" in url for url in sockets):
        author_page.reload()
    # The reason is shown on the tombstone to its author alone.
    expect(tombstone).to_have_text(
        re.compile(
            r"Removed by moderators: guideline 3 \(the moderators' reason, shown only to you: Selling products\)"
        )
    )
    expect(author_page.locator("#reply-1")).not_to_contain_text("miracle powder")
    assert_accessible(author_page)

    # The author is told why, and can reply once.
    author_page.goto(live_url + "/mod/notices/")
    expect(author_page.locator(".mod-list")).to_contain_text(
        "A moderator removed your reply. Reason: guideline 3; Selling products."
    )
    assert_accessible(author_page)
    author_page.get_by_role("link", name="Reply to the moderators").click()
    assert_accessible(author_page)
    author_page.get_by_label("Your reply to the moderators").fill("It was a genuine tip, not an advert.")
    author_page.get_by_role("button", name="Send my reply").click()
    expect(author_page.locator(".messages")).to_contain_text("Your appeal was sent")
    author_context.close()
