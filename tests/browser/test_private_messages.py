"""Two members write privately: a first message arrives as a request, is accepted, and the reply
appears live on the other's open page; the same works with scripting off. axe-core on every page,
in both colour schemes, at a phone's width."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community, Membership
from conversations.models import Message, Participant

PHONE = {"width": 390, "height": 844}


def _signed_in_page(browser, live_url: str, user, scheme: str, *, javascript: bool = True):
    client = Client()
    client.force_login(user)
    context = browser.new_context(color_scheme=scheme, viewport=PHONE, java_script_enabled=javascript)
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
def two_members(user_factory):
    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    alice = user_factory("alice", display_name="Alice")
    carol = user_factory("carol", display_name="Carol")
    for member in (alice, carol):
        Membership.objects.create(user=member, community=mecfs)
    return alice, carol


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_request_is_accepted_and_the_reply_appears_live(live_url, browser, assert_accessible, two_members, scheme):
    alice, carol = two_members
    writer = _signed_in_page(browser, live_url, alice, scheme)
    reader = _signed_in_page(browser, live_url, carol, scheme)
    reader.goto(live_url + "/messages/")
    expect(reader.get_by_role("heading", level=1)).to_have_text("Messages")
    assert_accessible(reader)

    writer.goto(live_url + "/u/carol/")
    writer.get_by_role("link", name="Send Carol a private message").click()
    expect(writer.get_by_label("To")).to_have_value("carol")
    assert_accessible(writer)
    writer.get_by_role("textbox", name="Message").fill("Hello Carol, I saw your post about pacing.")
    writer.get_by_role("button", name="Send").click()
    expect(writer.get_by_text("Sent. You can write again once it is accepted.")).to_be_visible()
    assert_accessible(writer)

    # Carol's bell rises while her inbox is open; the request waits with its words.
    expect(reader.locator("[data-bell-number]")).to_have_text("1")
    reader.reload()
    reader.get_by_role("link", name="From Alice").click()
    expect(reader.locator(".message-thread")).to_contain_text("I saw your post about pacing")
    assert_accessible(reader)
    reader.get_by_role("button", name="Accept").click()
    expect(reader.get_by_role("textbox", name="Message")).to_be_visible()

    writer.reload()
    expect(writer.get_by_role("textbox", name="Message")).to_be_visible()

    reader.get_by_role("textbox", name="Message").fill("Thank you for writing, Alice.")
    reader.get_by_role("button", name="Send").click()
    expect(writer.locator(".message-thread")).to_contain_text("Thank you for writing, Alice.")
    expect(writer.locator("[data-thread-status]")).to_have_text("1 new message")
    assert_accessible(writer)

    reader.goto(live_url + "/settings/messages/")
    reader.get_by_label("Nobody").check()
    reader.get_by_role("button", name="Save").click()
    expect(reader.locator(".messages")).to_contain_text("Saved: who may message you.")
    assert_accessible(reader)
    writer.context.close()
    reader.context.close()


def test_reading_and_replying_work_without_scripting(live_url, browser, assert_accessible, two_members):
    alice, carol = two_members
    writer = _signed_in_page(browser, live_url, alice, "light", javascript=False)
    writer.goto(live_url + "/messages/new/?to=carol")
    writer.get_by_role("textbox", name="Message").fill("A plain first message")
    writer.get_by_role("button", name="Send").click()
    conversation_url = writer.url

    reader = _signed_in_page(browser, live_url, carol, "light", javascript=False)
    reader.goto(conversation_url)
    reader.get_by_role("button", name="Accept").click()
    reader.get_by_role("textbox", name="Message").fill("A plain answer")
    reader.get_by_role("button", name="Send").click()
    expect(reader.locator(".message-thread")).to_contain_text("A plain answer")

    writer.reload()
    expect(writer.locator(".message-thread")).to_contain_text("A plain answer")
    assert Participant.objects.get(user=carol).status == Participant.Status.ACCEPTED
    assert Message.objects.count() == 2
    writer.context.close()
    reader.context.close()
