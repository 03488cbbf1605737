"""Issue 16: a member turns on push on the notification settings page; another member's reply reaches their
device as a push that carries no private text, and its link opens the reply.

Chromium's own push service is Google's, out of reach here, so the page's PushManager is played by an init
script that hands push.js a subscription whose endpoint is the test's local push service (tests/helpers/push.py)
and whose keys the test holds. Everything else is real: push.js, the CSRF-protected subscribe endpoint, the
reply form, the jobs in the server process, pywebpush's encryption and VAPID signature, and the decryption the
device would do."""

import json
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from taggit.models import Tag

from community.models import Community, Membership
from discussions.models import Discussion, Visibility
from notifications.models import Notification, PushSubscription
from tests.helpers.browser import sign_in
from tests.helpers.push import PushService

pytestmark = pytest.mark.browser

PLAY_THE_PUSH_MANAGER = """
(() => {
  const subscription = %s;
  const registration = {
    pushManager: {
      subscribe: async (options) => {
        window.recordSubscribeOptions({
          userVisibleOnly: options.userVisibleOnly,
          keyBytes: options.applicationServerKey.length,
        });
        return { endpoint: subscription.endpoint, toJSON: () => subscription };
      },
      getSubscription: async () => null,
    },
  };
  Object.defineProperty(ServiceWorkerContainer.prototype, "ready", {
    configurable: true, get: () => Promise.resolve(registration),
  });
  Notification.requestPermission = async () => "granted";
})();
"""


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the push never arrived")
        time.sleep(0.1)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_reply_arrives_as_a_push_with_no_private_text(live_url, browser, user_factory, assert_accessible, scheme):
    alice = user_factory("alice", display_name="Alice")
    carol = user_factory("carol", display_name="Carol")
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    community = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    for user in (alice, carol):
        Membership.objects.create(user=user, community=community)
    discussion = Discussion.objects.create(
        author=alice,
        title="Titlecanary: nights after a crash",
        body="Bodycanary",
        body_html="<p>Bodycanary</p>",
        visibility=Visibility.COMMUNITY,
        last_activity_at=timezone.now(),
    )
    discussion.tags.add(tag)

    with PushService() as push_service:
        device = push_service.device("alice-phone")
        context = browser.new_context(color_scheme=scheme)
        options = []
        context.expose_function("recordSubscribeOptions", lambda given: options.append(given))
        context.add_init_script(PLAY_THE_PUSH_MANAGER % json.dumps(device.as_json()))
        page = context.new_page()
        page.set_default_timeout(8000)

        # Alice turns push on for this device.
        sign_in(page, live_url, "alice", assert_accessible)
        page.goto(live_url + "/notifications/settings/")
        expect(page.get_by_role("heading", name="Quiet hours")).to_have_count(0)  # a legend, not a heading
        expect(page.locator("legend", has_text="Quiet hours")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Get push notifications on this device").click()
        expect(page.locator(".push-device-list")).to_contain_text("Chrome on Linux")
        assert options == [{"userVisibleOnly": True, "keyBytes": 65}]
        assert_accessible(page)
        assert PushSubscription.objects.get(user=alice).endpoint == device.endpoint

        # Carol replies in the browser; the server's jobs push to Alice's device.
        carol_context = browser.new_context(color_scheme=scheme)
        carol_page = carol_context.new_page()
        carol_page.set_default_timeout(8000)
        sign_in(carol_page, live_url, "carol", assert_accessible)
        carol_page.goto(f"{live_url}/d/{discussion.pk}/")
        carol_page.get_by_label("Your reply").fill("Replycanary: I sleep badly for a week too.")
        carol_page.get_by_role("button", name="Post reply").click()
        expect(carol_page.locator("#reply-1")).to_contain_text("Replycanary")
        carol_context.close()

        wait_for(lambda: push_service.to(device))
        [received] = push_service.to(device)

    payload = device.decrypt(received.body)
    notification = Notification.objects.get(recipient=alice)
    assert payload == {
        "title": "Spoonful",
        "body": "New reply to your discussion",
        "url": f"/notifications/{notification.pk}/",
        "tag": f"notification-{notification.pk}",
    }
    for private in ("canary", "Carol", "carol", "crash", "sleep", "mecfs"):
        assert private not in json.dumps(payload)

    # The push's link opens the reply for Alice.
    page.goto(live_url + payload["url"])
    expect(page.locator("#reply-1")).to_contain_text("Replycanary")
    assert page.url.endswith("#reply-1")

    # And she can switch the device off again.
    page.goto(live_url + "/notifications/settings/")
    page.get_by_role("button", name="Turn off for Chrome on Linux").click()
    expect(page.locator(".push-device-list")).to_contain_text("off")
    assert_accessible(page)
    assert PushSubscription.objects.get(user=alice).enabled is False
    context.close()
