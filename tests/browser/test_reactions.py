"""Reactions in a browser: a member's click reaches the author's open page live, the
buttons work without JavaScript (the page reloads at the post), and the page stays
accessible in both colour schemes at 390 px wide."""

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from discussions.models import Discussion, Reaction, Reply, Visibility

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def make_thread(author, replier) -> Discussion:
    discussion = Discussion.objects.create(
        author=author,
        title="Pacing on bad days",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=Visibility.MEMBERS,
        last_activity_at=timezone.now(),
        last_reply_number=1,
        published_reply_count=1,
    )
    Reply.objects.create(
        discussion=discussion,
        author=replier,
        number=1,
        path="000001",
        body="Rest first.",
        body_html="<p>Rest first.</p>",
    )
    return discussion


def signed_in_page(browser, live_url: str, user, **context_options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_url, **context_options)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


def test_a_reaction_reaches_the_authors_open_page_live(live_url, browser, member, other_member, assert_accessible):
    discussion = make_thread(member, other_member)
    carol = signed_in_page(browser, live_url, other_member)  # wrote reply #1
    alice = signed_in_page(browser, live_url, member)
    carol.goto(f"/d/{discussion.pk}/")
    expect(carol.locator("#live-status")).to_be_attached()
    expect(carol.locator(".live-reading")).to_have_text("1 reading")
    carol.evaluate("window.__notReloaded = true")

    alice.goto(f"/d/{discussion.pk}/")
    alice.evaluate("window.__notReloaded = true")
    thanks = alice.locator("#reply-1-reactions").get_by_role("button", name="Thank you, 0 members")
    thanks.click()

    expect(
        alice.locator("#reply-1-reactions").get_by_role("button", name="Thank you, 1 member; you reacted")
    ).to_have_attribute("aria-pressed", "true")
    # Carol's own reply: counts without buttons, updated over the socket.
    tally = carol.locator('#reply-1-reactions .reaction-tally[data-kind="thank_you"]')
    expect(tally).to_be_visible()
    expect(tally).to_contain_text("Thank you 1")
    expect(carol.locator("#reply-1-reactions .reaction-who")).to_be_visible()
    assert carol.evaluate("window.__notReloaded") is True
    assert alice.evaluate("window.__notReloaded") is True
    assert Reaction.objects.filter(user=member, kind="thank_you").count() == 1

    # Taking it back: the same button again.
    alice.locator("#reply-1-reactions").get_by_role("button", name="Thank you, 1 member; you reacted").click()
    expect(tally).to_be_hidden()
    assert_accessible(alice)
    alice.context.close()
    carol.context.close()


def test_without_javascript_the_button_posts_and_the_page_reloads_at_the_post(
    live_url, browser, member, other_member, assert_accessible
):
    discussion = make_thread(member, other_member)
    alice = signed_in_page(browser, live_url, member, java_script_enabled=False, viewport=PHONE)
    alice.goto(f"/d/{discussion.pk}/")
    alice.locator("#reply-1-reactions").get_by_role("button", name="Sending strength, 0 members").click()
    alice.wait_for_load_state()

    assert alice.url.endswith(f"/d/{discussion.pk}/#reply-1")
    expect(
        alice.locator("#reply-1-reactions").get_by_role("button", name="Sending strength, 1 member; you reacted")
    ).to_have_attribute("aria-pressed", "true")
    alice.locator("#reply-1-reactions").get_by_role("link", name="Who reacted to reply #1").click()
    expect(alice.get_by_role("heading", name="Who reacted to reply #1")).to_be_visible()
    expect(alice.get_by_role("link", name="Alice")).to_be_visible()
    alice.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reactions_are_accessible_at_390_px_in_both_colour_schemes(
    live_url, browser, member, other_member, outsider, assert_accessible, scheme
):
    discussion = make_thread(member, other_member)
    reply = Reply.objects.get(discussion=discussion, number=1)
    Reaction.objects.create(user=outsider, reply=reply, kind="me_too")
    Reaction.objects.create(user=member, reply=reply, kind="strength")
    alice = signed_in_page(browser, live_url, member, viewport=PHONE, color_scheme=scheme)
    for url in (
        f"/d/{discussion.pk}/",
        f"/d/{discussion.pk}/?order=thanked",
        f"/d/{discussion.pk}/replies/1/reactions/",
    ):
        alice.goto(url)
        width = alice.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{url} scrolls sideways at 390 px ({width})"
        assert_accessible(alice)
    alice.context.close()
