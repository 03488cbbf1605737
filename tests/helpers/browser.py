"""Steps several browser journeys take."""

from playwright.sync_api import expect

from tests.helpers.users import PASSWORD


def sign_in(page, live_url: str, username: str, assert_accessible) -> None:
    page.goto(live_url + "/accounts/login/")
    assert_accessible(page)
    page.locator("input[name='login']").fill(username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("form").filter(has=page.locator("input[name='password']")).get_by_role("button").first.click()
    expect(page.locator(".signed-in")).to_contain_text("Signed in as")
