import os
import socket
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.core.cache import cache

import spoonful.ratelimits
from accounts.models import User

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "correct horse battery staple"


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
    # Notification emails go out on a thread in production; inline, tests can read mail.outbox.
    settings.NOTIFICATIONS_EMAIL_INLINE = True
    _plain_static_storage(settings)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _rate_limit_windows_stay_put(monkeypatch):
    """Rate limits count in fixed windows of wall-clock time: a test that makes 31
    requests must not see its count reset because the minute turned over mid-test."""
    start_of_a_window = 1_800_000_000.0  # a multiple of every window length used
    monkeypatch.setattr(spoonful.ratelimits, "time", SimpleNamespace(time=lambda: start_of_a_window + 1))


def enable_two_factor(user: User):
    """Staff, moderators and verified professionals act only with two-factor sign-in on."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "test-only"})


@pytest.fixture
def user_factory(db):
    """Make verified, consenting members: ``user_factory("alice", is_staff=True)``."""

    def make(username: str, *, verified: bool = True, two_factor: bool = False, **fields) -> User:
        from allauth.account.models import EmailAddress

        email = fields.pop("email", f"{username}@example.org")
        user = User.objects.create_user(username=username, email=email, password=PASSWORD, **fields)
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        if two_factor:
            enable_two_factor(user)
        return user

    return make


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


def redis_url_or_skip() -> str:
    """The Redis to test against; missing Redis skips locally and fails in CI."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5).close()
    except OSError:
        if IN_CI:
            pytest.fail(f"Redis is required in CI but {url} does not answer")
        pytest.skip(f"needs Redis at {url} (start it with redis-server, or set REDIS_URL)")
    return url
