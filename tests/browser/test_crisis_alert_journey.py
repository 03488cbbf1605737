"""Issue 15: a member's post suggests crisis; the community's moderator's bell rises live and
an email (naming nothing private) goes out; nobody takes it, so after the escalation time all
staff are alerted; a staff member says "I'm on it", the queue shows who and when, and the
dashboard shows how long the alert waited for that first response. Every
page visited has no serious axe-core finding, in either colour scheme."""

from datetime import timedelta
from email import message_from_bytes

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community, Membership
from moderation.crisis_alerts import crisis_escalate_due
from moderation.models import Flag
from notifications.models import Notification

pytestmark = pytest.mark.browser

CANARY = "qzxcanary"


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


def _emails_in(mail_dir) -> list:
    messages = []
    for path in mail_dir.iterdir():
        # The file backend writes each message followed by a line of dashes.
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                messages.append(message_from_bytes(raw.strip()))
    return messages


def _text_of(message) -> str:
    parts = [message["Subject"] or ""]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if payload:
            parts.append(payload.decode())
    return "\n".join(parts)


@pytest.fixture
def people(user_factory):
    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS", guidelines="Be kind")
    author = user_factory("alice", display_name="Alice")
    moderator = user_factory("sam", display_name="Sam", two_factor=True)
    Membership.objects.create(user=author, community=mecfs)
    Membership.objects.create(user=moderator, community=mecfs, role=Membership.Role.MODERATOR)
    staff = user_factory("jo", display_name="Jo", is_staff=True, two_factor=True)
    return {"author": author, "moderator": moderator, "staff": staff}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_crisis_post_alerts_the_moderator_live_and_escalates_to_staff_when_nobody_takes_it(
    live_url, browser, assert_accessible, people, mail_dir, scheme
):
    for old in mail_dir.iterdir():
        old.unlink()
    mod = _signed_in_page(browser, live_url, people["moderator"], scheme)
    mod.goto(live_url + "/mod/")
    expect(mod.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    bell = mod.locator("[data-bell-number]")
    expect(bell).to_have_text("0")
    mod.wait_for_timeout(500)  # the bell's socket is open before the member posts

    member = _signed_in_page(browser, live_url, people["author"], scheme)
    member.goto(live_url + "/d/new/?c=mecfs")
    member.get_by_label("Title").fill(f"Tired of everything {CANARY}")
    member.get_by_label("What would you like to say?").fill(f"I want to die, nothing helps any more {CANARY}")
    member.get_by_role("button", name="Start discussion").click()
    expect(member.get_by_role("heading", level=1)).to_be_visible()

    # The moderator's bell rises without a reload; the email went out and says nothing private.
    expect(bell).to_have_text("1", timeout=5000)
    assert_accessible(mod)
    alerts = [message for message in _emails_in(mail_dir) if message["To"] == people["moderator"].email]
    assert len(alerts) == 1 and "crisis" in alerts[0]["Subject"].lower()
    text = _text_of(alerts[0])
    assert CANARY not in text and "want to die" not in text and "mecfs" not in text.lower()

    # The queue shows the alert as nobody's yet; the moderator does not take it.
    mod.reload()
    crisis = mod.locator(".mod-crisis")
    expect(crisis).to_contain_text("not yet acknowledged")
    expect(crisis.get_by_role("button", name="I'm on it")).to_be_visible()
    assert_accessible(mod)

    # The escalation time passes with nobody on it: the every-minute job sends it to all staff.
    flag = Flag.objects.get(reason=Flag.Reason.CRISIS)
    assert crisis_escalate_due(now=flag.alerted_at + timedelta(minutes=16)) == 1
    assert [message.to for message in mail.outbox] == [[people["staff"].email]]
    assert CANARY not in mail.outbox[0].body
    assert Notification.objects.filter(recipient=people["staff"], kind=Notification.Kind.CRISIS_ESCALATION).exists()

    staff = _signed_in_page(browser, live_url, people["staff"], scheme)
    staff.goto(live_url + "/notifications/")
    expect(staff.locator("[data-bell-number]")).to_have_text("1")
    expect(staff.locator("main")).to_contain_text("A crisis alert has waited with nobody on it")
    assert_accessible(staff)

    staff.goto(live_url + "/mod/")
    crisis = staff.locator(".mod-crisis")
    expect(crisis).to_contain_text("sent to all staff at")
    assert_accessible(staff)
    crisis.get_by_role("button", name="I'm on it").click()
    expect(staff.locator(".messages")).to_contain_text("you are on it")
    expect(staff.locator(".mod-crisis")).to_contain_text("Acknowledged by Jo at")
    assert_accessible(staff)

    # On a phone the on-call switch and the alert fit the screen.
    staff.set_viewport_size({"width": 390, "height": 844})
    staff.reload()
    expect(staff.get_by_role("heading", name="On call")).to_be_visible()
    assert staff.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The moderator sees who took it and when.
    mod.reload()
    expect(mod.locator(".mod-crisis")).to_contain_text("Acknowledged by Jo at")
    flag.refresh_from_db()
    assert flag.acknowledged_by == people["staff"]
    assert flag.acknowledged_at <= timezone.now()

    # On the test's clock the alert waited 17 minutes for Jo: the dashboard shows that response time.
    Flag.objects.filter(pk=flag.pk).update(created_at=flag.acknowledged_at - timedelta(minutes=17))
    mod.goto(live_url + "/mod/dashboard/?community=mecfs")
    response_chart = mod.locator("figure.chart", has=mod.locator("#chart-crisis-response-heading"))
    expect(response_chart).to_contain_text("this week: 17")
    response_chart.get_by_text("Show the figures as a table").click()
    expect(response_chart.locator("table")).to_contain_text("17")
    assert_accessible(mod)
