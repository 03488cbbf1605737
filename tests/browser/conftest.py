"""Headless Chromium against daphne in a forked process (HTTP and websockets).

Run these in their own pytest process (``make test`` does): Playwright's sync API
keeps an event loop in the test thread, so Django's async-safety guard is
switched off for the whole process.
"""

import os
import shutil
import tempfile
from functools import partial
from pathlib import Path

import pytest

from tests.helpers.environment import IN_CI

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Debian's chromium (apt-get install chromium)")
    if not AXE_JS.exists():
        missing.append("axe-core (npm ci)")
    if not missing:
        return
    reason = "browser tests need " + " and ".join(missing)
    if IN_CI:
        raise pytest.UsageError(f"{reason}, and CI must run them")
    for item in items:
        item.add_marker(pytest.mark.skip(reason=reason))


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs in headless Chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def mail_dir():
    with tempfile.TemporaryDirectory(prefix="spoonful-mail-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def asgi_live_server(django_db_setup, django_db_blocker, mail_dir):
    """daphne serving the real ASGI application on a free port."""
    from channels.testing.live import make_application
    from daphne.testing import DaphneProcess
    from django.db import connections
    from django.test.utils import override_settings

    from notifications.push import vapid_key_pair

    # The child inherits settings that already name the test database; it must
    # not inherit an open connection, so the parent closes its own first.
    process = DaphneProcess("localhost", partial(make_application, static_wrapper=None))
    public_key, private_key = vapid_key_pair()
    overrides = override_settings(
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        ACCOUNT_RATE_LIMITS=False,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=True,
        WHITENOISE_AUTOREFRESH=True,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        # No worker runs beside this server: each job runs in it once its change commits.
        JOBS_IMMEDIATE=True,
        # Push on, sending to the tests' local push service (tests/helpers/push.py).
        VAPID_PUBLIC_KEY=public_key,
        VAPID_PRIVATE_KEY=private_key,
        VAPID_SUBJECT="mailto:ops@spoonful.example",
        PUSH_ALLOW_LOCALHOST=True,
        # Pages reconnect within a fifth of a second, so tests that drop a socket wait little.
        LIVE_RECONNECT_SPREAD_SECONDS=0.2,
    )
    # The forked child inherits the unblocked database and these settings.
    with django_db_blocker.unblock(), overrides:
        connections.close_all()
        process.start()
        if not process.ready.wait(timeout=15):
            process.terminate()
            raise RuntimeError("daphne did not start")
    yield f"http://localhost:{process.port.value}"
    process.terminate()
    process.join()


@pytest.fixture
def live_url(asgi_live_server, transactional_db) -> str:
    return asgi_live_server


AXE_PATH = "/__axe-core.js"
# The standard we promise: WCAG 2.2 at level AA. axe's defaults leave out the 2.2
# rules (target-size among them), so name the tags rather than take the defaults.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core findings on the page as it is now.

    axe is served as if from the site itself, so the page's real CSP stays on. It
    runs once the page's stylesheets have loaded: before that, a busy server's page
    is unstyled text whose links are smaller than anyone ever sees them.
    """
    page.wait_for_load_state("load")
    page.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript"))
    origin = page.evaluate("location.origin")
    page.add_script_tag(url=origin + AXE_PATH)
    found = page.evaluate(
        """async (tags) => (await axe.run({runOnly: {type: 'tag', values: tags}})).violations.map(v =>
            ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}))""",
        AXE_TAGS,
    )
    return [violation for violation in found if violation["impact"] in ("serious", "critical")]


@pytest.fixture
def assert_accessible():
    def check(page) -> None:
        violations = axe_violations(page)
        assert violations == [], f"axe-core on {page.url}: {violations}"

    return check


@pytest.fixture(autouse=True)
def _short_timeouts(page):
    # A broken journey should fail in seconds, not wait half a minute per step.
    page.set_default_timeout(8000)
    page.set_default_navigation_timeout(15000)
