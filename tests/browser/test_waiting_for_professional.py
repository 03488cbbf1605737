"""Issue 15: a member asks for a professional's view when starting a discussion; a verified clinician finds it
under "Waiting for a professional", answers with the badge, and it leaves the list. On a 390 px phone, in both
colour schemes, with no serious axe-core finding."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import ProfessionalVerification
from community.models import Community, Membership
from discussions.models import Discussion, Reply

PHONE = {"width": 390, "height": 844}


def _signed_in_page(browser, live_url: str, user, scheme: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(color_scheme=scheme, viewport=PHONE)
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


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def cast(user_factory):
    from taggit.models import Tag

    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    member = user_factory("alice", display_name="Alice")
    doctor = user_factory("drkim", display_name="Dr Kim", two_factor=True)
    for user in (member, doctor):
        Membership.objects.create(user=user, community=mecfs)
    ProfessionalVerification.objects.create(
        applicant=doctor,
        profession="physician",
        licence_number="X-1",
        issuing_body="GMC",
        country="UK",
        status=ProfessionalVerification.Status.APPROVED,
        expires_at=timezone.now() + timedelta(days=30),
    )
    return {"member": member, "doctor": doctor}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_member_asks_and_a_clinician_answers_with_the_badge(live_url, browser, assert_accessible, cast, scheme):
    member = _signed_in_page(browser, live_url, cast["member"], scheme)
    member.goto(live_url + "/d/new/")
    member.get_by_label("Title").fill("Heart rate when standing")
    member.get_by_label("Communities (hashtags)").fill("#mecfs")
    member.get_by_label("What would you like to say?").fill("It goes from 70 to 130 when I stand. Is that a worry?")
    member.get_by_label("Ask for a professional's view").check()
    assert_accessible(member)
    member.get_by_role("button", name="Start discussion").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Heart rate when standing")
    expect(member.locator(".state-wants-professional")).to_have_text("Asked for a professional's view")
    discussion = Discussion.objects.get()
    assert discussion.wants_professional

    doctor = _signed_in_page(browser, live_url, cast["doctor"], scheme)
    doctor.goto(live_url + "/settings/profile/")
    doctor.get_by_role("link", name="Waiting for a professional").click()
    expect(doctor.get_by_role("heading", level=1)).to_have_text("Waiting for a professional")
    assert_accessible(doctor)
    assert _fits_the_phone(doctor)

    doctor.get_by_role("link", name="Heart rate when standing").click()
    expect(doctor.locator(".state-wants-professional")).to_contain_text("no verified clinician has answered yet")
    doctor.get_by_label("Your reply").fill("That rise is worth raising with your GP; ask about a stand test.")
    doctor.get_by_label("Reply with my professional badge").check()
    doctor.get_by_role("button", name="Post reply").click()
    expect(doctor.locator(".state-verified")).to_have_text("A verified clinician replied")
    assert Reply.objects.get().as_professional
    expect(doctor.locator(".state-wants-professional")).to_have_text("Asked for a professional's view")

    doctor.goto(live_url + "/professional/waiting/")
    expect(doctor.get_by_text("Nobody is waiting for a professional's view")).to_be_visible()
    expect(doctor.get_by_role("link", name="Heart rate when standing")).to_have_count(0)
    assert_accessible(doctor)
    assert _fits_the_phone(doctor)
