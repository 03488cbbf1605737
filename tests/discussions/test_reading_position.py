"""Reading positions: opening a discussion records the highest reply on screen (one
upsert, only ever forward); in low-energy mode a thread opens at the first unread reply,
with a short "What you missed" list that names only what the page shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from discussions import services
from discussions.models import ReadingPosition, Reply
from discussions.presenters import REPLY_WINDOW

pytestmark = pytest.mark.django_db


def position(user, discussion) -> int | None:
    return (
        ReadingPosition.objects.filter(user=user, discussion=discussion).values_list("last_number", flat=True).first()
    )


def low_energy(user) -> None:
    User.objects.filter(pk=user.pk).update(low_energy=True)


# --- Recording ------------------------------------------------------------------------


def test_opening_the_page_records_the_highest_reply_shown(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 3, author=other_member)
    client.force_login(member)

    assert client.get(discussion.get_absolute_url()).status_code == 200

    assert position(member, discussion) == 3


def test_a_long_thread_records_only_the_window_on_screen(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, REPLY_WINDOW + 20, author=other_member)
    client.force_login(member)

    client.get(discussion.get_absolute_url())
    assert position(member, discussion) == REPLY_WINDOW

    client.get(discussion.get_absolute_url() + f"?at={REPLY_WINDOW + 5}")
    assert position(member, discussion) == REPLY_WINDOW + 20


def test_the_position_never_moves_back(member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 10, author=other_member)

    services.reading_position_record(user=member, discussion=discussion, number=8)
    services.reading_position_record(user=member, discussion=discussion, number=3)
    assert position(member, discussion) == 8
    services.reading_position_record(user=member, discussion=discussion, number=10)
    assert position(member, discussion) == 10
    assert ReadingPosition.objects.count() == 1


def test_recording_is_one_statement_first_time_and_after(member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 5, author=other_member)

    for number in (2, 5):
        with CaptureQueriesContext(connection) as captured:
            services.reading_position_record(user=member, discussion=discussion, number=number)
        assert len(captured) == 1


def test_opening_the_page_again_with_nothing_new_writes_nothing(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 3, author=other_member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())

    with CaptureQueriesContext(connection) as again:
        assert client.get(discussion.get_absolute_url()).status_code == 200
    assert not [query for query in again.captured_queries if "discussions_readingposition (" in query["sql"]]

    bulk_replies(discussion, 2, author=other_member)
    client.get(discussion.get_absolute_url())
    assert position(member, discussion) == 5


def test_visitors_record_nothing(client, start):
    discussion = start()

    client.get(discussion.get_absolute_url())

    assert not ReadingPosition.objects.exists()


def test_an_empty_thread_records_that_it_was_opened(client, other_member, start):
    # Position 0: every reply that comes later is new to them ("3 new replies").
    discussion = start()
    client.force_login(other_member)

    client.get(discussion.get_absolute_url())

    assert position(other_member, discussion) == 0


def test_a_head_request_records_nothing(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 2, author=other_member)
    client.force_login(member)

    client.head(discussion.get_absolute_url())

    assert position(member, discussion) is None


# --- Low-energy: opening at the first unread reply -------------------------------------------


def test_in_low_energy_mode_a_long_thread_opens_at_the_first_unread_reply(
    client, member, other_member, start, bulk_replies
):
    discussion = start()
    bulk_replies(discussion, REPLY_WINDOW + 10, author=other_member)
    low_energy(member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())  # reads the first window: 1 to REPLY_WINDOW
    first_unread = REPLY_WINDOW + 1

    response = client.get(discussion.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == f"/d/{discussion.pk}/?at={first_unread}&since={REPLY_WINDOW}#reply-{first_unread}"
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert f'id="reply-{first_unread}"' in page
    assert "What you missed" in page
    assert "10 new replies since you were last here." in page
    assert f'<a href="#reply-{first_unread}">Reply #{first_unread}</a> from <span' not in page  # no markup in the name
    assert f'<a href="#reply-{first_unread}">Reply #{first_unread}</a> from Carol' in page
    assert "And" not in page.split("What you missed")[1].split("</aside>")[0]
    assert position(member, discussion) == REPLY_WINDOW + 10


def test_a_short_thread_opens_scrolled_to_the_first_unread_reply(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 3, author=other_member)
    low_energy(member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())
    bulk_replies(discussion, 2, author=other_member)

    response = client.get(discussion.get_absolute_url())

    assert response["Location"] == f"/d/{discussion.pk}/?since=3#reply-4"
    page = client.get(f"/d/{discussion.pk}/?since=3").content.decode()
    assert 'id="reply-1"' in page, "the whole first window, scrolled by its anchor"
    assert "2 new replies since you were last here." in page
    # Reloading the page it opened keeps the list; the plain address shows nothing missed.
    assert "What you missed" in client.get(f"/d/{discussion.pk}/?since=3").content.decode()
    plain = client.get(discussion.get_absolute_url())
    assert plain.status_code == 200
    assert "What you missed" not in plain.content.decode()


def test_the_missed_list_names_ten_and_counts_the_rest(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 1, author=other_member)
    low_energy(member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())
    bulk_replies(discussion, 14, author=other_member)

    page = client.get(f"/d/{discussion.pk}/?since=1").content.decode()

    missed = page.split('aria-labelledby="missed-heading"')[1].split("</aside>")[0]
    assert missed.count("<li>") == 10
    assert "14 new replies" in missed
    assert "And 4 more after those." in missed
    assert "Reply 2" not in missed, "no reply text in the list"


def test_without_low_energy_mode_the_page_opens_as_always(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 3, author=other_member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())
    bulk_replies(discussion, 2, author=other_member)

    response = client.get(discussion.get_absolute_url())

    assert response.status_code == 200
    assert "What you missed" not in response.content.decode()


def test_a_first_visit_opens_at_the_top(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 3, author=other_member)
    low_energy(member)
    client.force_login(member)

    response = client.get(discussion.get_absolute_url())

    assert response.status_code == 200
    assert "What you missed" not in response.content.decode()


def test_a_place_asked_for_is_kept(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 3, author=other_member)
    low_energy(member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())
    bulk_replies(discussion, 2, author=other_member)

    assert client.get(discussion.get_absolute_url() + "?reply_to=2").status_code == 200
    assert client.get(discussion.get_absolute_url() + "?at=1").status_code == 200


def test_own_replies_are_never_unread(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 2, author=other_member)
    low_energy(member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())
    bulk_replies(discussion, 2, author=member)

    response = client.get(discussion.get_absolute_url())

    assert response.status_code == 200
    assert "What you missed" not in response.content.decode()


def test_an_anonymous_reply_is_missed_without_its_author_and_hidden_ones_not_at_all(
    client, member, other_member, start, bulk_replies
):
    discussion = start()
    bulk_replies(discussion, 1, author=other_member)
    low_energy(member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())
    services.reply_create(author=other_member, discussion=discussion, body="quietly", is_anonymous=True)
    hidden = services.reply_create(author=other_member, discussion=discussion, body="hidden words")
    Reply.objects.filter(pk=hidden.pk).update(status=Reply.Status.HIDDEN)

    page = client.get(f"/d/{discussion.pk}/?since=1").content.decode()

    missed = page.split('aria-labelledby="missed-heading"')[1].split("</aside>")[0]
    assert "1 new reply since" in missed
    assert "Reply #2</a> from Anonymous member" in missed
    assert "Carol" not in missed
    assert "#3" not in missed


def test_a_bad_since_is_ignored_not_an_error(client, member, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 2, author=other_member)
    low_energy(member)
    client.force_login(member)

    for since in ("abc", "-1", "9" * 40, "²"):
        assert client.get(f"/d/{discussion.pk}/?since={since}").status_code == 200


def test_the_low_energy_page_costs_a_bounded_number_of_queries(
    client, member, other_member, start, bulk_replies, django_assert_max_num_queries
):
    discussion = start()
    bulk_replies(discussion, 500, author=other_member)
    low_energy(member)
    client.force_login(member)
    client.get(discussion.get_absolute_url())

    # The page's usual 23 (with the member's own marks: following, saved; and the reaction
    # counts), one for the ?at= anchor, and how many were missed and the first few.
    with django_assert_max_num_queries(26):
        client.get(f"/d/{discussion.pk}/?at=51&since=50")
