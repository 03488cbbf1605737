"""Replies posted at the same moment get distinct, gap-free numbers (CC-01, FT-07).

On PostgreSQL the UPDATE on the discussion row serialises the writers; SQLite
serialises them with IMMEDIATE transactions. Both must give 1..N exactly once.
"""

import threading

import pytest
from django.db import close_old_connections, connection

from discussions import services
from discussions.models import Reply

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 8


def run_at_once(target, count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            target(index)
        except BaseException as error:  # collected and reported by the test
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_simultaneous_replies_get_distinct_numbers(start, other_member):
    discussion = start()

    errors = run_at_once(
        lambda index: services.reply_create(author=other_member, discussion=discussion, body=f"Reply {index}"),
        WRITERS,
    )

    assert errors == []
    numbers = sorted(Reply.objects.filter(discussion=discussion).values_list("number", flat=True))
    assert numbers == list(range(1, WRITERS + 1))
    discussion.refresh_from_db()
    assert discussion.last_reply_number == WRITERS
    assert discussion.published_reply_count == WRITERS


def test_a_double_click_at_the_same_moment_gives_one_reply(start, other_member):
    discussion = start()

    errors = run_at_once(
        lambda index: services.reply_create(
            author=other_member, discussion=discussion, body="Only once", submission_token="double-click"
        ),
        4,
    )

    assert errors == []
    assert Reply.objects.filter(discussion=discussion).count() == 1
    discussion.refresh_from_db()
    assert discussion.published_reply_count == 1
