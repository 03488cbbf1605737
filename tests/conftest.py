"""The cast and factories every test may ask for by name.

Shared code that is not a fixture lives in ``tests/helpers``; nothing imports this file.
"""

import os
from functools import partialmethod
from types import SimpleNamespace

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import override_settings

import notifications.preferences
import spoonful.ratelimits
from accounts.access import forget_recent_contexts
from accounts.models import User
from discussions.live import timing
from discussions.live.hub import reset_hubs
from spoonful import settings as production
from tests.helpers.database import sql_flush_by_delete
from tests.helpers.environment import XDIST_WORKER, layer_settings, redis_url_for_this_worker
from tests.helpers.users import make_user


def pytest_configure(config):
    """Under pytest-xdist, each worker's cache and channel layer move to its own Redis database
    before anything opens them; the servers and workers a test starts inherit the URL."""
    if not XDIST_WORKER or not os.environ.get("REDIS_URL"):
        return
    url = redis_url_for_this_worker(os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = url
    django_settings.REDIS_URL = url
    django_settings.CACHES = production.redis_caches(url)
    django_settings.CHANNEL_LAYERS = {"default": production.redis_channel_layer(url)}


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush_by_delete)
        yield


@pytest.fixture(scope="session", autouse=True)
def _patient_handshakes():
    """A communicator gives the application 1 s to accept a socket by default: a timed assertion that
    a busy machine (two test workers, a test's own servers starting) can fail. Whether and how the
    handshake ends is what the tests check, so they give it time enough for a loaded machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WebsocketCommunicator, "connect", partialmethod(WebsocketCommunicator.connect, timeout=10))
        yield


def _plain_static_storage(settings) -> None:
    # Manifest storage needs collectstatic; tests render pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Plain HTTP, no rate limits (RL tests switch them back on), a clean cache."""
    settings.SECURE_SSL_REDIRECT = False
    settings.ACCOUNT_RATE_LIMITS = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each job runs in this process once its transaction commits (spoonful/jobs.py).
    settings.JOBS_IMMEDIATE = True
    _plain_static_storage(settings)
    cache.clear()
    forget_recent_contexts()
    yield
    cache.clear()
    forget_recent_contexts()


@pytest.fixture(autouse=True)
def _digests_due_at_any_hour(monkeypatch):
    """A member who chose no digest hour gets theirs from midnight UTC in tests, so a digest is due
    whatever the time of day the suite runs; the tests of the chosen hour set their own."""
    monkeypatch.setattr(notifications.preferences, "DEFAULT_DIGEST_HOUR", 0)


@pytest.fixture(autouse=True)
def _rate_limit_windows_stay_put(monkeypatch):
    """Rate limits count in fixed windows of wall-clock time: a test that makes 31
    requests must not see its count reset because the minute turned over mid-test."""
    start_of_a_window = 1_800_000_000.0  # a multiple of every window length used
    monkeypatch.setattr(spoonful.ratelimits, "time", SimpleNamespace(time=lambda: start_of_a_window + 1))


@pytest.fixture
def user_factory(db):
    """Make verified, consenting members: ``user_factory("alice", is_staff=True)``."""
    return make_user


@pytest.fixture
def staff(user_factory) -> User:
    return user_factory("jo", display_name="Jo (staff)", is_staff=True, two_factor=True)


@pytest.fixture
def moderator(user_factory) -> User:
    """A member with two-factor sign-in; tests make them moderator where they need one."""
    return user_factory("sam", display_name="Sam", two_factor=True)


@pytest.fixture
def community_factory(db):
    """``community_factory("mecfs", policy=Community.Policy.PRIVATE, name="ME/CFS")`` through the ORM."""
    from taggit.models import Tag

    from community.models import Community

    def make(slug: str, **fields) -> "Community":
        tag, _ = Tag.objects.get_or_create(name=slug, slug=slug)
        fields.setdefault("name", slug.upper())
        return Community.objects.create(slug=slug, tag=tag, **fields)

    return make


@pytest.fixture
def add_member(db):
    """``add_member(user, community, role=Membership.Role.MODERATOR)``."""
    from community.models import Membership

    def add(user: User, community, *, role: str = Membership.Role.MEMBER, status: str = "active") -> "Membership":
        return Membership.objects.create(user=user, community=community, role=role, status=status)

    return add


@pytest.fixture
def member(user_factory) -> User:
    return user_factory("alice", display_name="Alice")


@pytest.fixture
def other_member(user_factory) -> User:
    return user_factory("carol", display_name="Carol")


@pytest.fixture
def outsider(user_factory) -> User:
    return user_factory("bob", display_name="Bob")


@pytest.fixture(params=["memory", "redis"])
def transport(request, monkeypatch):
    """Each live test twice: one process's hub ("memory"), and Redis pub/sub as several processes use."""
    monkeypatch.setattr(timing, "PRESENCE_THROTTLE", 0.05)
    with override_settings(CHANNEL_LAYERS=layer_settings(request.param)):
        channel_layers.backends.clear()
        yield request.param
    channel_layers.backends.clear()


@pytest.fixture
async def fresh_hub():
    """A live test leaves no hub behind for the next one."""
    yield
    await reset_hubs()
