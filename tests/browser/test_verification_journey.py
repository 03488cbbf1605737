"""A clinician applies from settings, staff approve in the queue, and the badge page shows what was checked."""

import re

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect
from taggit.models import Tag

from accounts.models import ProfessionalVerification
from community.models import Community, Membership
from discussions.models import Visibility
from discussions.services import discussion_create


def _sign_in(page, live_url: str, user) -> None:
    """Reuse a server-side session: the journey under test starts after sign-in
    (staff sign-in would otherwise need a live TOTP code)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_url,
            }
        ]
    )


def test_a_clinician_is_verified_by_staff_and_the_badge_page_shows_what_was_checked(
    live_url, page, assert_accessible, user_factory
):
    clinician = user_factory("drpatel", display_name="Dr Patel")
    staff = user_factory("reviewer", display_name="Reviewer", is_staff=True)
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "browser-test"})

    _sign_in(page, live_url, clinician)
    page.goto(live_url + "/settings/verification/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Professional verification")
    assert_accessible(page)
    page.get_by_label("Profession").select_option("physician")
    page.get_by_label("Speciality").fill("General practice")
    page.get_by_label("Licence or registration number").fill("GMC-1234567")
    page.get_by_label("Issuing body").fill("General Medical Council")
    page.get_by_label("Country").fill("UK")
    page.get_by_label("Region or state").fill("England")
    page.get_by_label("Public register URL").fill("https://www.gmc-uk.org/registrants/1234567")
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_text("Your application is waiting for review")).to_be_visible()
    expect(page.get_by_role("region", name="Your application")).to_contain_text("Status: Waiting for review")
    assert_accessible(page)

    _sign_in(page, live_url, staff)
    page.goto(live_url + "/mod/verifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Professional verification queue")
    assert_accessible(page)
    page.get_by_role("link", name="drpatel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("from drpatel")
    expect(page.get_by_text("GMC-1234567")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved drpatel.")).to_be_visible()
    assert_accessible(page)

    application = ProfessionalVerification.objects.get(applicant=clinician)
    assert application.status == ProfessionalVerification.Status.APPROVED

    _sign_in(page, live_url, clinician)
    page.goto(live_url + "/u/drpatel/")
    assert_accessible(page)
    page.get_by_role("link", name="Verified physician · UK").click()
    expect(page).to_have_url(re.compile(r"/professionals/drpatel/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dr Patel")
    expect(page.get_by_text("General Medical Council")).to_be_visible()
    expect(page.get_by_text("England, UK")).to_be_visible()
    assert "GMC-1234567" not in page.content()
    assert_accessible(page)

    # With two-factor on, the clinician replies as a professional and the badge shows on the reply.
    Authenticator.objects.create(user=clinician, type=Authenticator.Type.TOTP, data={"secret": "browser-test-2"})
    community = Community.objects.create(slug="pots", tag=Tag.objects.create(name="pots", slug="pots"), name="POTS")
    Membership.objects.create(user=clinician, community=community)
    asker = user_factory("asker", display_name="Asker")
    discussion = discussion_create(
        author=asker,
        title="Salt tablets and blood pressure",
        body="How much is too much?",
        hashtags=["pots"],
        visibility=Visibility.PUBLIC,
    )
    page.goto(live_url + discussion.get_absolute_url())
    page.get_by_label("Your reply").fill("Most people do fine with a modest increase; ask your own doctor first.")
    page.get_by_label("Reply with my professional badge").check()
    page.get_by_role("button", name="Post reply").click()
    reply = page.locator("#reply-1")
    expect(reply.get_by_role("link", name="Verified physician · UK")).to_be_visible()
    expect(reply).to_contain_text("General information, not personal medical advice.")
    expect(page.get_by_text("A verified clinician replied")).to_be_visible()
    assert_accessible(page)

    # Staff revoke: the badge is gone from the reply at once.
    _sign_in(page, live_url, staff)
    page.goto(live_url + "/professionals/drpatel/")
    page.get_by_label("Reason").fill("Registration lapsed")
    page.get_by_role("button", name="Revoke verification").click()
    page.goto(live_url + discussion.get_absolute_url())
    expect(page.locator("#reply-1")).to_contain_text("Most people do fine")
    expect(page.get_by_role("link", name="Verified physician · UK")).to_have_count(0)
    expect(page.get_by_text("A verified clinician replied")).to_have_count(0)
    assert_accessible(page)


def test_a_member_edits_their_profile_and_sees_it(live_url, page, assert_accessible, user_factory):
    member = user_factory("river", display_name="River")
    _sign_in(page, live_url, member)
    page.goto(live_url + "/settings/profile/")
    assert_accessible(page)
    page.get_by_label("Display name").fill("River Q")
    page.get_by_label("Pronouns").fill("they/them")
    page.get_by_label("Bio").fill("Two years of pacing.\nStill learning.")
    page.get_by_role("group", name="Who can see your bio").get_by_label("Everyone").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    page.goto(live_url + "/settings/avatar/")
    assert_accessible(page)
    page.get_by_label("Upload an image").check()
    page.get_by_label("Image file").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": b"<html>not an image</html>"}
    )
    page.get_by_role("button", name="Save picture").click()
    expect(page.get_by_text("not an image we can read")).to_be_visible()
    assert_accessible(page)

    page.goto(live_url + "/u/river/")
    expect(page.get_by_role("heading", level=1)).to_have_text("River Q")
    expect(page.get_by_text("Still learning.")).to_be_visible()
    assert_accessible(page)
