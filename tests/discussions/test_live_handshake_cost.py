"""What opening a socket costs once the caches are warm, and who it signs in.

A handshake runs on a handshake thread in one hop: the session and the access context come
from the cache, so the database is asked only for the user row and, for a discussion socket,
the discussion.
"""

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from discussions.live import admission, timing
from discussions.models import Visibility
from tests.helpers.live import communicator, db, follow, make_discussion, refused_with, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_hub")]

MEMBER_HANDSHAKE_QUERIES = 2  # the user row and the discussion
VISITOR_HANDSHAKE_QUERIES = 1  # the discussion
BELL_HANDSHAKE_QUERIES = 1  # the user row


@pytest.fixture
def handshake_thread(monkeypatch) -> ThreadPoolExecutor:
    """Handshakes on one thread, so that its connection sees every query they make."""
    thread = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(timing, "HANDSHAKE_THREADS", thread)
    yield thread
    thread.submit(connections.close_all).result()
    thread.shutdown()


async def connection_of(thread: ThreadPoolExecutor):
    return await asyncio.wrap_future(thread.submit(lambda: connections[DEFAULT_DB_ALIAS]))


@contextlib.asynccontextmanager
async def off_the_loop(context):
    """A query-counting context entered and left on a thread: it opens a connection."""
    await db(context.__enter__)()
    try:
        yield
    finally:
        await db(context.__exit__)(None, None, None)


@pytest.fixture
def production_sessions(settings):
    # Production's engine (with Redis): the session is read from the cache.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.mark.usefixtures("production_sessions")
async def test_a_members_handshake_reads_only_their_row_and_the_discussion(
    member, other_member, handshake_thread, django_assert_num_queries
):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    cookie = await session_cookie_for(other_member)
    first, _ = await follow(discussion.pk, cookie=cookie)  # warms the session and access context
    await first.disconnect()

    # Exactly: fewer would mean the user row was read elsewhere, in a thread hop of its own.
    counted = django_assert_num_queries(MEMBER_HANDSHAKE_QUERIES, connection=await connection_of(handshake_thread))
    async with off_the_loop(counted):
        comm, hello = await follow(discussion.pk, cookie=cookie)

    assert hello["last_number"] == 0
    await comm.disconnect()


@pytest.mark.usefixtures("production_sessions")
async def test_a_visitors_handshake_reads_only_the_discussion(member, handshake_thread, django_assert_max_num_queries):
    discussion = await db(make_discussion)(member)
    first, _ = await follow(discussion.pk)
    await first.disconnect()

    counted = django_assert_max_num_queries(VISITOR_HANDSHAKE_QUERIES, connection=await connection_of(handshake_thread))
    async with off_the_loop(counted):
        comm, hello = await follow(discussion.pk)

    assert hello["type"] == "hello"
    await comm.disconnect()


@pytest.mark.usefixtures("production_sessions")
async def test_the_bell_sockets_handshake_reads_only_the_members_row(
    member, handshake_thread, django_assert_num_queries
):
    cookie = await session_cookie_for(member)
    first = communicator("/ws/notifications/", cookie)
    assert (await first.connect())[0]  # warms the session
    await first.disconnect()

    bell = communicator("/ws/notifications/", cookie)
    counted = django_assert_num_queries(BELL_HANDSHAKE_QUERIES, connection=await connection_of(handshake_thread))
    async with off_the_loop(counted):
        connected, _ = await bell.connect()

    assert connected
    await bell.disconnect()


@pytest.mark.usefixtures("production_sessions")
async def test_a_session_from_before_a_password_change_signs_nobody_in(member, other_member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    cookie = await session_cookie_for(other_member)
    other_member.set_password("changed without signing this session out")
    await db(other_member.save)()

    assert await refused_with(f"/ws/d/{discussion.pk}/", cookie) == admission.CLOSE_FORBIDDEN


@pytest.mark.usefixtures("production_sessions")
async def test_a_deactivated_accounts_session_signs_nobody_in(member, other_member):
    discussion = await db(make_discussion)(member, visibility=Visibility.MEMBERS)
    cookie = await session_cookie_for(other_member)
    other_member.is_active = False
    await db(other_member.save)()

    assert await refused_with(f"/ws/d/{discussion.pk}/", cookie) == admission.CLOSE_FORBIDDEN
