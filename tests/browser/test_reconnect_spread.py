"""After a socket process restarts, the pages it served come back spread over a window,
not all at once: both sockets a page holds wait ``spoonfulReconnectDelay`` before each try."""

import pytest
from django.test import Client

from tests.browser.test_live_updates import make_discussion, open_discussion

pytestmark = pytest.mark.browser

# Keeps every socket the page opens, so the test can drop them as a restart would.
KEEP_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""


def signed_in_page(browser, live_url: str, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_url)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    context.add_init_script(KEEP_SOCKETS)
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


def wait_for_open_sockets(page, count: int) -> None:
    # wait_for_function compiles its predicate with eval, which the page's CSP forbids.
    for _ in range(80):
        if page.evaluate("() => window.__sockets.filter((s) => s.readyState === 1).length") == count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the page did not hold {count} open sockets")


def test_the_delay_spreads_first_tries_over_the_window_and_backs_off(live_url, browser, member):
    page = signed_in_page(browser, live_url, member)
    page.goto("/")
    page.evaluate("document.documentElement.setAttribute('data-reconnect-spread-ms', '5000')")

    first = page.evaluate("Array.from({length: 4000}, () => window.spoonfulReconnectDelay(0))")
    assert 0 <= min(first) < 250 and 4750 < max(first) <= 5000
    # Spread evenly, not bunched at one end: each fifth of the window takes about a fifth.
    fifths = [sum(1 for delay in first if k * 1000 <= delay < (k + 1) * 1000) for k in range(5)]
    assert all(600 < count < 1000 for count in fifths), fifths

    later = page.evaluate("Array.from({length: 2000}, () => window.spoonfulReconnectDelay(4))")
    assert max(later) <= 16000 and max(later) > 12000
    capped = page.evaluate("Array.from({length: 2000}, () => window.spoonfulReconnectDelay(20))")
    assert max(capped) <= 30000 and max(capped) > 25000
    page.context.close()


def test_both_sockets_of_a_page_come_back_through_the_spread_delay(live_url, browser, member):
    discussion = make_discussion(member)
    page = signed_in_page(browser, live_url, member)
    open_discussion(page, discussion)
    wait_for_open_sockets(page, 2)
    page.evaluate(
        """() => {
          const delay = window.spoonfulReconnectDelay;
          window.__asked = [];
          window.spoonfulReconnectDelay = (attempt) => { window.__asked.push(attempt); return delay(attempt); };
          window.__sockets.forEach((socket) => socket.close());
        }"""
    )

    wait_for_open_sockets(page, 2)
    assert page.evaluate("window.__asked") == [0, 0]
    paths = page.evaluate("window.__sockets.filter(s => s.readyState === 1).map(s => new URL(s.url).pathname)")
    assert sorted(paths) == sorted([f"/ws/d/{discussion.pk}/", "/ws/notifications/"])
    page.context.close()
