import re

from playwright.sync_api import expect

from tests.helpers.users import PASSWORD


def latest_confirmation_path(mail_dir) -> str:
    newest = max(mail_dir.iterdir(), key=lambda path: path.stat().st_mtime)
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", newest.read_text()).group(1)


def test_a_newcomer_signs_up_verifies_their_email_and_lands_signed_in(live_url, page, mail_dir, assert_accessible):
    page.goto(live_url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Join Spoonful").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    assert_accessible(page)
    page.get_by_label("Email").fill("river@example.org")
    page.get_by_label("Username").fill("river")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_label(re.compile("I understand that what I share")).check()
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    assert_accessible(page)

    page.goto(live_url + latest_confirmation_path(mail_dir))
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator(".signed-in")).to_contain_text("Signed in as river")
    assert_accessible(page)
