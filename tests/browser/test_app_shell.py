"""Issue 16: the installable app at 390x844. The manifest and the service worker load and
Chromium reports the page installable; a discussion read once opens again offline, any
other page shows the offline page; signing out drops the kept pages; a push shows a
notification for a page of this site only."""

import json

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from discussions.models import Discussion, Visibility

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def make_discussion(author, *, title: str, visibility: str) -> Discussion:
    # Not tests.helpers.live's: importing the ASGI application here would be inherited by
    # the forked server.
    return Discussion.objects.create(
        author=author,
        title=title,
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=visibility,
        last_activity_at=timezone.now(),
    )


def _page(browser, live_url: str, user=None, **options):
    context = browser.new_context(viewport=PHONE, **options)
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


def _wait_for_worker(page) -> None:
    """Until the worker is active and controls this page (it claims open pages)."""
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def _wait_for_kept_pages(page, expected: list[str]) -> None:
    """Until the worker keeps exactly these pages (it stores them after the page shows)."""
    for _ in range(80):
        if _kept_pages(page) == expected:
            return
        page.wait_for_timeout(100)
    assert _kept_pages(page) == expected


def _kept_pages(page) -> list[str]:
    return page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                if (!name.startsWith("spoonful-pages-")) continue;
                const cache = await caches.open(name);
                urls.push(...(await cache.keys()).map((request) => new URL(request.url).pathname));
            }
            return urls;
        }"""
    )


def test_the_manifest_and_worker_load_and_chromium_finds_the_app_installable(
    live_url, browser_type, browser_type_launch_args, tmp_path
):
    # Chromium never offers to install from an incognito profile, which is what a new
    # Playwright context is: this test gets a profile of its own.
    context = browser_type.launch_persistent_context(
        str(tmp_path / "profile"), viewport=PHONE, **browser_type_launch_args
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_url + "/")
        _wait_for_worker(page)

        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == live_url + "/manifest.webmanifest"
        assert manifest["errors"] == []
        assert json.loads(manifest["data"])["name"] == "Spoonful"
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
        assert scope == live_url + "/"
    finally:
        context.close()


def test_a_discussion_read_opens_offline_and_other_pages_show_the_offline_page(live_url, browser, user_factory):
    member = user_factory("alice", display_name="Alice")
    discussion = make_discussion(member, title="Pacing on bad days", visibility=Visibility.MEMBERS)
    page = _page(browser, live_url, member)
    page.goto(live_url + "/")
    _wait_for_worker(page)

    page.goto(live_url + f"/d/{discussion.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pacing on bad days")
    _wait_for_kept_pages(page, [f"/d/{discussion.pk}/"])  # the discussion only, not the home page

    page.context.set_offline(True)
    page.goto(live_url + f"/d/{discussion.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pacing on bad days")
    expect(page.locator("#offline-notice")).to_contain_text("offline. This page may be a copy kept on this device")

    page.goto(live_url + "/c/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    expect(page).to_have_title("You're offline · Spoonful")
    assert "Alice" not in page.content()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_offline_page_is_accessible_in_both_schemes(live_url, browser, scheme, assert_accessible):
    page = _page(browser, live_url, color_scheme=scheme)
    page.goto(live_url + "/")
    _wait_for_worker(page)

    page.context.set_offline(True)
    page.goto(live_url + "/c/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    page.context.set_offline(False)  # axe itself is fetched from the test server
    assert_accessible(page)


def test_signing_out_drops_the_kept_pages(live_url, browser, user_factory):
    member = user_factory("alice", display_name="Alice")
    discussion = make_discussion(member, title="Pacing on bad days", visibility=Visibility.MEMBERS)
    page = _page(browser, live_url, member)
    page.goto(live_url + "/")
    _wait_for_worker(page)
    page.goto(live_url + f"/d/{discussion.pk}/")
    _wait_for_kept_pages(page, [f"/d/{discussion.pk}/"])

    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".signed-in")).to_have_count(0)

    _wait_for_kept_pages(page, [])
    page.goto(live_url + "/")
    _wait_for_worker(page)
    page.context.set_offline(True)
    page.goto(live_url + f"/d/{discussion.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")


def test_the_pages_message_at_sign_out_drops_kept_pages_without_clear_site_data(live_url, browser, user_factory):
    # For browsers that ignore Clear-Site-Data: the sign-out form's message alone empties them.
    member = user_factory("alice", display_name="Alice")
    discussion = make_discussion(member, title="Pacing on bad days", visibility=Visibility.MEMBERS)
    page = _page(browser, live_url, member)
    page.goto(live_url + "/")
    _wait_for_worker(page)
    page.goto(live_url + f"/d/{discussion.pk}/")
    _wait_for_kept_pages(page, [f"/d/{discussion.pk}/"])

    page.evaluate("navigator.serviceWorker.controller.postMessage({type: 'signed-out'})")

    _wait_for_kept_pages(page, [])


def test_kept_pages_go_when_the_session_ends_without_a_sign_out(live_url, browser, user_factory):
    member = user_factory("alice", display_name="Alice")
    discussion = make_discussion(member, title="Pacing on bad days", visibility=Visibility.MEMBERS)
    page = _page(browser, live_url, member)
    page.goto(live_url + "/")
    _wait_for_worker(page)
    page.goto(live_url + f"/d/{discussion.pk}/")
    _wait_for_kept_pages(page, [f"/d/{discussion.pk}/"])

    page.context.clear_cookies()  # the session expired, or was ended from another device
    page.goto(live_url + "/c/")
    expect(page.locator(".signed-in")).to_have_count(0)

    _wait_for_kept_pages(page, [])
    page.context.set_offline(True)
    page.goto(live_url + f"/d/{discussion.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")


@pytest.mark.parametrize(
    ("url", "opens"),
    [("/d/7/", "/d/7/"), ("https://elsewhere.example/sign-in", "/")],
    ids=["same-site", "other-site"],
)
def test_a_push_shows_a_notification_for_a_page_of_this_site(live_url, browser, url, opens):
    page = _page(browser, live_url)
    page.context.grant_permissions(["notifications"], origin=live_url)
    page.goto(live_url + "/")
    _wait_for_worker(page)

    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # the event arrives while Playwright waits
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations, "Chromium reported no service worker registration"
    registration_id = registrations[0]["registrationId"]
    # Headless Chromium closes a shown notification soon after: watch for it from before it comes.
    page.evaluate(
        """() => {
            window.seenNotifications = null;
            (async () => {
                const registration = await navigator.serviceWorker.ready;
                for (;;) {
                    const list = await registration.getNotifications();
                    if (list.length) {
                        window.seenNotifications = list.map((n) => ({title: n.title, body: n.body, url: n.data.url}));
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 5));
                }
            })();
        }"""
    )
    payload = {"title": "New reply", "body": "New reply in a discussion you follow", "url": url}
    # Headless Chromium may close the notification before a busy page's poll sees it: push again
    # (each push shows it anew) rather than fail on the machine's load.
    for _ in range(3):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_url, "registrationId": registration_id, "data": json.dumps(payload)},
        )
        try:
            page.wait_for_function("() => window.seenNotifications !== null", timeout=4000)
            break
        except PlaywrightTimeoutError:
            continue
    shown = page.evaluate("window.seenNotifications")
    # A click opens data.url; another site's address never gets there.
    assert shown == [{"title": "New reply", "body": "New reply in a discussion you follow", "url": live_url + opens}]
