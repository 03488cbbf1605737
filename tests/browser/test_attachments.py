"""Issue 14: a photo is attached with alt text and shown only to those who may see it.
A member starts a community-only discussion with a photo (first forgetting its
description: the form says so and keeps the text), another member of the community sees
the photo with its description, and a member outside the community gets a 404 for the
file's address. The new form and the page pass axe-core in both colour schemes, on a
desktop and at 390 px wide, and nothing scrolls sideways."""

import io

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from community.models import Community, Membership
from discussions import services
from discussions.models import Attachment, Visibility
from tests.helpers.attachments import CAMERA_SERIAL, image_bytes, photo_with_location, upload
from tests.helpers.users import enable_two_factor

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _signed_in_context(browser, live_url: str, user, scheme: str, viewport: dict):
    client = Client()
    client.force_login(user)
    context = browser.new_context(color_scheme=scheme, viewport=viewport)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_url,
            }
        ]
    )
    return context


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.fixture
def people(user_factory):
    from taggit.models import Tag

    tag, _ = Tag.objects.get_or_create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    alice = user_factory("alice", display_name="Alice")
    carol = user_factory("carol", display_name="Carol")
    bob = user_factory("bob", display_name="Bob")
    for user in (alice, carol):
        Membership.objects.create(user=user, community=mecfs)
    return {"alice": alice, "carol": carol, "bob": bob}


@pytest.mark.parametrize(
    ("scheme", "viewport"), [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)]
)
def test_a_photo_is_attached_with_alt_text_and_shown_only_to_those_who_may(
    live_url, browser, assert_accessible, people, scheme, viewport
):
    photo = {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": photo_with_location()}
    alice = _signed_in_context(browser, live_url, people["alice"], scheme, viewport).new_page()
    alice.goto(live_url + "/d/new/")
    expect(alice.get_by_role("group", name="Photos and PDFs (optional)")).to_be_visible()
    assert_accessible(alice)
    _no_sideways_scroll(alice)

    alice.get_by_label("Title").fill("My pacing board")
    alice.get_by_label("What would you like to say?").fill("This is how I plan a week of energy.")
    alice.get_by_label("Communities (hashtags)").fill("#mecfs")
    alice.get_by_label("Only members of").check()
    alice.get_by_label("File 1", exact=True).set_input_files(photo)
    alice.get_by_role("button", name="Start discussion").click()

    # No description: a clear message, the text kept, the file to be chosen again.
    expect(alice.locator(".errorlist").first).to_contain_text("Please describe")
    expect(alice.locator(".errorlist").first).to_contain_text("please choose them again")
    expect(alice.get_by_label("Title")).to_have_value("My pacing board")
    assert_accessible(alice)

    alice.get_by_label("File 1", exact=True).set_input_files(photo)
    alice.get_by_label("Description of file 1").fill("A whiteboard with seven days in coloured blocks")
    alice.get_by_role("button", name="Start discussion").click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("My pacing board")
    attachment = Attachment.objects.get()
    file_url = live_url + attachment.get_absolute_url()

    carol = _signed_in_context(browser, live_url, people["carol"], scheme, viewport).new_page()
    carol.goto(alice.url)
    image = carol.get_by_role("img", name="A whiteboard with seven days in coloured blocks")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    carol.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    assert_accessible(carol)
    _no_sideways_scroll(carol)
    served = carol.request.get(file_url)
    assert served.status == 200
    assert served.headers["x-content-type-options"] == "nosniff"
    assert CAMERA_SERIAL.encode() not in served.body()
    assert dict(Image.open(io.BytesIO(served.body())).getexif()) == {}

    bob = _signed_in_context(browser, live_url, people["bob"], scheme, viewport)
    assert bob.request.get(file_url).status == 404
    visitor = browser.new_context()
    assert visitor.request.get(file_url).status == 404


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_moderator_removes_a_photo_and_readers_see_a_tombstone(live_url, browser, assert_accessible, people, scheme):
    moderator = people["bob"]
    Membership.objects.create(
        user=moderator, community=Community.objects.get(slug="mecfs"), role=Membership.Role.MODERATOR
    )
    enable_two_factor(moderator)
    discussion = services.discussion_create(
        author=people["alice"],
        title="My hospital bracelet",
        body="Day three.",
        hashtags=["mecfs"],
        visibility=Visibility.COMMUNITY,
        attachments=[upload("b.png", image_bytes("PNG", size=(300, 200)))],
        alt_texts=["A wristband showing my full name"],
    )
    mod = _signed_in_context(browser, live_url, moderator, scheme, PHONE).new_page()
    mod.goto(f"{live_url}/mod/discussion/{discussion.pk}/")
    expect(mod.get_by_role("heading", name="Attachments")).to_be_visible()
    assert_accessible(mod)
    _no_sideways_scroll(mod)

    mod.get_by_label("Reason for removing it (optional, shown to the author)").fill("Your name is on it")
    mod.get_by_role("button", name="Remove this attachment").click()
    expect(mod.locator(".messages")).to_contain_text("Attachment removed")

    carol = _signed_in_context(browser, live_url, people["carol"], scheme, PHONE).new_page()
    carol.goto(live_url + discussion.get_absolute_url())
    expect(carol.get_by_text("An attachment was removed by moderators.")).to_be_visible()
    expect(carol.get_by_role("img", name="A wristband showing my full name")).to_have_count(0)
    assert_accessible(carol)
