"""A Redis outage costs rate limits their sharing and live updates their speed,
never a member's reply, search or sign-in.

Each test starts a redis-server of its own on a free port, points the cache and
the channel layer at it, and stops it halfway through.
"""

import logging
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.test import Client, RequestFactory

from discussions import services
from discussions.live import presence, timing
from discussions.live.hub import reset_hubs
from discussions.models import Discussion, Reply, Visibility
from spoonful import settings as production
from spoonful.ratelimits import rate_limit_check
from tests.helpers.environment import IN_CI
from tests.helpers.live import follow, next_presence, presence_becomes
from tests.helpers.users import PASSWORD

pytestmark = pytest.mark.django_db


@dataclass
class OwnRedis:
    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path: Path):
    server = shutil.which("redis-server")
    if server is None:
        if IN_CI:
            pytest.fail("redis-server is required in CI to test a Redis outage")
        pytest.skip("needs redis-server on PATH: the test starts and stops a Redis of its own")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.05)
    yield OwnRedis(url=url, process=process)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def on_own_redis(settings, own_redis):
    """The production cache and channel layer, on the test's own Redis, with every limit on."""
    settings.CACHES = production.redis_caches(own_redis.url)
    settings.CHANNEL_LAYERS = {"default": production.redis_channel_layer(own_redis.url)}
    settings.ACCOUNT_RATE_LIMITS = production.ACCOUNT_RATE_LIMITS
    return own_redis


@pytest.fixture
def start(community_factory, member):
    community_factory("mecfs", name="ME/CFS")

    def make(title: str = "Pacing on bad days") -> Discussion:
        return services.discussion_create(
            author=member,
            title=title,
            body="What helps you pace when everything hurts?",
            hashtags=["mecfs"],
            visibility=Visibility.PUBLIC,
        )

    return make


def _sign_in() -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.get("/").context["user"].username == "alice"
    return client


def test_replying_searching_and_signing_in_work_when_redis_goes_down(
    on_own_redis, member, start, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # indexed for search
        discussion = start(title="Pacing when Redis is down")
    client = _sign_in()
    assert client.get("/search/", {"q": "pacing"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/d/{discussion.pk}/reply/", {"body": "Before the outage.", "submission_token": "t1"})
    assert first.status_code == 302

    on_own_redis.stop()
    caplog.clear()

    with caplog.at_level(logging.WARNING):
        client = _sign_in()
        search = client.get("/search/", {"q": "pacing"})
        with django_capture_on_commit_callbacks(execute=True):
            reply = client.post(f"/d/{discussion.pk}/reply/", {"body": "During the outage.", "submission_token": "t2"})

    assert search.status_code == 200
    assert f"/d/{discussion.pk}/" in search.content.decode()
    assert reply.status_code == 302
    assert Reply.objects.filter(discussion=discussion, body="During the outage.").exists()
    assert client.get(reply["Location"]).content.decode().count("During the outage.") == 1
    logged = " ".join(record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING)
    assert "cache unreachable" in logged
    assert "live update reply.created could not be sent" in logged


def test_posting_limits_count_every_window_in_one_round_trip_to_redis(on_own_redis, settings, member, monkeypatch):
    settings.SPOONFUL_RATE_LIMITS = {"post": [("user", 2, 60), ("user", 50, 3600), ("ip", 50, 60)]}
    request = RequestFactory().post("/d/1/reply/")
    request.user = member
    cache.get("connected")  # the connection's own set-up is not what is counted
    sent = []
    real_send = redis.connection.Connection.send_packed_command

    def send(connection, *args, **kwargs):
        sent.append(args)
        return real_send(connection, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", send)

    answers = [rate_limit_check(request, "post") for _ in range(3)]

    assert answers[:2] == [None, None]
    assert answers[2] is not None and answers[2].retry_after >= 1
    assert len(sent) == 3


def test_posting_limits_still_hold_in_each_process_while_redis_is_down(on_own_redis, settings, member, start):
    settings.SPOONFUL_RATE_LIMITS = {"post": [("user", 1, 60)]}
    discussion = start()
    client = _sign_in()
    on_own_redis.stop()

    first = client.post(f"/d/{discussion.pk}/reply/", {"body": "One reply.", "submission_token": "t1"})
    second = client.post(f"/d/{discussion.pk}/reply/", {"body": "A second, too soon.", "submission_token": "t2"})

    assert first.status_code == 302
    assert second.status_code == 429
    assert "A second, too soon." in second.content.decode()


def test_presence_counts_this_processs_readers_while_redis_is_down(on_own_redis, member, other_member, start):
    discussion = start()
    assert presence.presence_count(discussion.pk, {member.pk}, 1) == 2
    on_own_redis.stop()

    assert presence.presence_count(discussion.pk, {member.pk, other_member.pk}, 1) == 3


@pytest.mark.django_db(transaction=True)
async def test_readers_still_see_who_is_reading_in_their_process_while_redis_is_down(
    on_own_redis, monkeypatch, member, other_member, start
):
    from asgiref.sync import sync_to_async
    from channels.layers import channel_layers

    monkeypatch.setattr(timing, "PRESENCE_THROTTLE", 0.05)
    channel_layers.backends.clear()
    discussion = await sync_to_async(start)()
    try:
        first, _ = await follow(discussion.pk, member)
        second, _ = await follow(discussion.pk, other_member)
        assert await next_presence(second) == 2
        await sync_to_async(on_own_redis.stop)()

        await second.disconnect()

        await presence_becomes(first, 1)
        await first.disconnect()
    finally:
        await reset_hubs()
        channel_layers.backends.clear()


# The fragments cache shares the Redis server (another key prefix) and may be the first to reach it again.
@pytest.mark.parametrize("first_to_answer", ["default", "fragments"])
def test_a_session_ended_while_redis_was_unreachable_stays_ended_when_it_answers(
    on_own_redis, settings, member, monkeypatch, first_to_answer
):
    """Redis unreachable but not emptied (a network partition): the session's entry is
    still in Redis when it answers again, and must not sign anyone in."""
    from django.core.cache.backends.redis import RedisCache

    import spoonful.cache

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    monkeypatch.setattr(spoonful.cache, "RETRY_SECONDS", 0.0)
    client = _sign_in()
    session_key = client.session.session_key
    cached = f"django.contrib.sessions.cached_db{session_key}"
    redis.Redis.from_url(on_own_redis.url).ping()

    def unreachable(*args, **kwargs):
        raise redis.ConnectionError("partitioned")

    with monkeypatch.context() as partition:
        for name in ("get", "set", "delete", "delete_many", "add", "incr", "touch", "has_key", "get_many"):
            partition.setattr(RedisCache, name, unreachable)
        assert client.post("/accounts/logout/").status_code == 302
    from django.core.cache import caches

    # Redis answers again, still holding the entry; the first call replays the delete.
    caches[first_to_answer].get("anything")
    assert caches["default"].get(cached) is None
    client.cookies["sessionid"] = session_key
    assert client.get("/").context["user"].is_authenticated is False


def test_sessions_are_read_from_the_database_while_redis_is_unreachable(on_own_redis, settings, member, monkeypatch):
    """Another process may end a session during the outage: no process keeps its own copy."""
    from django.contrib.sessions.models import Session
    from django.core.cache.backends.redis import RedisCache

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client = _sign_in()

    def unreachable(*args, **kwargs):
        raise redis.ConnectionError("partitioned")

    with monkeypatch.context() as partition:
        for name in ("get", "set", "delete", "delete_many", "add", "incr", "touch", "has_key", "get_many"):
            partition.setattr(RedisCache, name, unreachable)
        assert client.get("/").context["user"].is_authenticated
        Session.objects.filter(session_key=client.session.session_key).delete()  # ended elsewhere
        assert client.get("/").context["user"].is_authenticated is False
