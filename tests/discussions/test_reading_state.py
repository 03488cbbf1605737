"""Reading state: "3 new replies" on lists and the discussion page with a jump to the first
unread reply, Saved (bookmarks with a note) and Following. All of it is the member's own:
nobody else sees it, a discussion they can no longer read drops out of it, and it goes
into their export and away with their account."""

import pytest
from django.urls import reverse

from accounts.account_deletion import account_delete
from accounts.data_export import data_export_contents
from discussions import services
from discussions.models import Bookmark, Discussion, DiscussionFollow, Reply, Visibility
from discussions.presenters import REPLY_WINDOW
from discussions.reading_views import FOLLOWING_PER_PAGE, SAVED_PER_PAGE
from discussions.search import search_index_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(other_member):
    """Carol reads; Alice (``member``) starts discussions; Bob (``outsider``) replies."""
    return other_member


def replies(discussion: Discussion, count: int, *, author) -> list[Reply]:
    return [
        services.reply_create(author=author, discussion=discussion, body=f"Reply {n} from {author.username}")
        for n in range(count)
    ]


def read(client, user, discussion: Discussion) -> None:
    client.force_login(user)
    assert client.get(discussion.get_absolute_url()).status_code == 200


def follows(user, discussion: Discussion) -> bool:
    return DiscussionFollow.objects.filter(user=user, discussion=discussion, is_following=True).exists()


# --- Unread counts on lists ------------------------------------------------------------------


def test_the_home_page_says_how_many_replies_are_new_since_the_reader_last_read(client, reader, outsider, start):
    discussion = start(title="Pacing on bad days")
    read(client, reader, discussion)
    replies(discussion, 3, author=outsider)

    page = client.get("/").content.decode()

    assert "3 new replies" in page


def test_the_community_page_says_it_too(client, reader, outsider, start, mecfs):
    discussion = start()
    read(client, reader, discussion)
    replies(discussion, 1, author=outsider)

    page = client.get(mecfs.get_absolute_url()).content.decode()

    assert "1 new reply" in page


def test_search_results_say_it_too(client, reader, outsider, start):
    discussion = start(title="Pacing on bad days")
    search_index_update(discussion.pk)  # a job after commit; PostgreSQL searches what it wrote
    read(client, reader, discussion)
    replies(discussion, 2, author=outsider)

    page = client.get("/search/", {"q": "pacing"}).content.decode()

    assert "2 new replies" in page


def test_a_hidden_or_held_reply_is_not_counted(client, reader, outsider, start):
    discussion = start()
    read(client, reader, discussion)
    hidden, held, _ = replies(discussion, 3, author=outsider)
    Reply.objects.filter(pk=hidden.pk).update(status=Reply.Status.HIDDEN)
    Reply.objects.filter(pk=held.pk).update(status=Reply.Status.HELD)

    page = client.get("/").content.decode()

    assert "1 new reply" in page
    assert "3 new replies" not in page


def test_the_readers_own_replies_are_not_new_to_them(client, reader, outsider, start):
    discussion = start()
    read(client, reader, discussion)
    replies(discussion, 2, author=reader)
    replies(discussion, 1, author=outsider)

    assert "1 new reply" in client.get("/").content.decode()


def test_a_discussion_never_opened_is_new_and_one_read_to_the_end_is_neither(client, reader, start):
    start(title="Never opened", submission_token="a")
    opened = start(title="Read already", submission_token="b")
    read(client, reader, opened)

    items = client.get("/").content.decode().split('class="discussion-item')[1:]

    marked = {("Never opened" in item, ">New</span>" in item) for item in items}
    assert marked == {(True, True), (False, False)}
    assert not any("new repl" in item for item in items)


def test_members_own_discussions_are_not_new_to_them_and_visitors_see_no_marks(client, member, reader, start):
    start()

    client.force_login(member)
    assert ">New</span>" not in client.get("/").content.decode()
    client.logout()
    assert ">New</span>" not in client.get("/").content.decode()


def test_the_home_page_costs_one_query_for_reading_state_however_many_were_read(
    client, reader, outsider, start, django_assert_max_num_queries
):
    first = start(title="First", submission_token="first")
    read(client, reader, first)
    replies(first, 2, author=outsider)
    with django_assert_max_num_queries(100) as captured:
        client.get("/")
    few = len(captured)  # now: the next request empties the query log
    for n in range(8):
        discussion = start(title=f"More {n}", submission_token=f"more-{n}")
        read(client, reader, discussion)
        replies(discussion, 2, author=outsider)

    with django_assert_max_num_queries(few):
        page = client.get("/").content.decode()
    assert page.count("2 new replies") == 9


# --- The discussion page ----------------------------------------------------------------------


def test_the_page_says_what_is_new_and_jumps_to_the_first_unread_reply(client, reader, outsider, start):
    discussion = start()
    replies(discussion, 2, author=outsider)
    read(client, reader, discussion)
    replies(discussion, 3, author=outsider)

    page = client.get(discussion.get_absolute_url()).content.decode()

    assert "3 new replies" in page
    assert 'href="#reply-3">Jump to first unread</a>' in page
    # Read now: the next visit has nothing new.
    assert "Jump to first unread" not in client.get(discussion.get_absolute_url()).content.decode()


def test_the_jump_opens_the_window_where_the_first_unread_reply_is(client, reader, outsider, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, REPLY_WINDOW + 10, author=outsider)
    read(client, reader, discussion)  # sees the first window: read to #50
    replies(discussion, 1, author=outsider)

    page = client.get(discussion.get_absolute_url()).content.decode()

    first_unread = REPLY_WINDOW + 1
    assert "11 new replies" in page
    assert f'href="/d/{discussion.pk}/?at={first_unread}#reply-{first_unread}">Jump to first unread' in page
    opened = client.get(f"/d/{discussion.pk}/?at={first_unread}")
    assert f'id="reply-{first_unread}"' in opened.content.decode()


def test_a_hidden_reply_is_neither_counted_nor_jumped_to(client, reader, outsider, start):
    discussion = start()
    read(client, reader, discussion)
    hidden, shown = replies(discussion, 2, author=outsider)
    Reply.objects.filter(pk=hidden.pk).update(status=Reply.Status.HIDDEN)

    page = client.get(discussion.get_absolute_url()).content.decode()

    assert "1 new reply" in page
    assert f'href="#reply-{shown.number}">Jump to first unread' in page


# --- Bookmarks ----------------------------------------------------------------------------------


def test_saving_from_the_page_and_removing_it_again(client, reader, start):
    discussion = start()
    read(client, reader, discussion)

    response = client.post(reverse("discussions:bookmark", args=[discussion.pk]))
    assert response.status_code == 302
    assert response["Location"] == discussion.get_absolute_url()
    assert Bookmark.objects.filter(user=reader, discussion=discussion, note="").exists()
    assert "Remove from Saved" in client.get(discussion.get_absolute_url()).content.decode()

    client.post(reverse("discussions:bookmark_delete", args=[discussion.pk]))
    assert not Bookmark.objects.exists()


def test_a_note_is_kept_shown_on_saved_and_can_be_changed(client, reader, start):
    discussion = start(title="Pacing on bad days")
    client.force_login(reader)
    url = reverse("discussions:bookmark", args=[discussion.pk])

    client.post(url, {"note": "Ask my GP about this"})
    saved = client.get("/saved/").content.decode()
    assert "Pacing on bad days" in saved
    assert "Ask my GP about this" in saved

    response = client.post(url, {"note": "Asked; try again in May", "next": "/saved/"})
    assert response["Location"] == "/saved/"
    assert Bookmark.objects.get(user=reader).note == "Asked; try again in May"
    # The page's one-click Save sends no note and keeps the one written.
    client.post(url)
    assert Bookmark.objects.get(user=reader).note == "Asked; try again in May"


def test_a_note_too_long_is_a_400_with_the_text_kept_and_nothing_changed(client, reader, start):
    discussion = start()
    client.force_login(reader)
    url = reverse("discussions:bookmark", args=[discussion.pk])
    client.post(url, {"note": "first"})
    typed = "x" * (Bookmark.NOTE_MAX_LENGTH + 1)

    response = client.post(url, {"note": typed})

    assert response.status_code == 400
    body = response.content.decode()
    assert typed in body
    assert f"Keep the note to {Bookmark.NOTE_MAX_LENGTH} characters" in body
    assert Bookmark.objects.get(user=reader).note == "first"


def test_saving_goes_back_only_to_a_page_of_this_site(client, reader, start):
    discussion = start()
    client.force_login(reader)

    response = client.post(reverse("discussions:bookmark", args=[discussion.pk]), {"next": "https://evil.example/"})

    assert response["Location"] == discussion.get_absolute_url()


def test_saved_is_paginated(client, reader, start):
    for n in range(SAVED_PER_PAGE + 1):
        discussion = start(title=f"Saved number {n}", submission_token=f"s{n}")
        Bookmark.objects.create(user=reader, discussion=discussion)
    client.force_login(reader)

    first = client.get("/saved/").content.decode()
    second = client.get("/saved/?page=2").content.decode()

    assert first.count('class="discussion-item"') == SAVED_PER_PAGE
    assert second.count('class="discussion-item"') == 1
    assert "Saved number 0" in second


def test_saved_costs_the_same_for_few_and_many(client, reader, start, django_assert_max_num_queries):
    client.force_login(reader)
    first = start(title="First", submission_token="first")
    Bookmark.objects.create(user=reader, discussion=first)
    with django_assert_max_num_queries(100) as captured:
        client.get("/saved/")
    few = len(captured)
    for n in range(10):
        Bookmark.objects.create(user=reader, discussion=start(title=f"More {n}", submission_token=f"m{n}"))

    with django_assert_max_num_queries(few):
        client.get("/saved/")


# --- Following ---------------------------------------------------------------------------------


def test_replying_follows_and_starting_a_discussion_does_too(member, reader, start):
    discussion = start()

    services.reply_create(author=reader, discussion=discussion, body="Me too")

    assert follows(reader, discussion)
    assert follows(member, discussion)


def test_the_follow_button_follows_and_unfollow_stops_and_a_later_reply_respects_it(client, reader, start):
    discussion = start()
    client.force_login(reader)
    assert ">Follow</button>" in client.get(discussion.get_absolute_url()).content.decode()

    client.post(reverse("discussions:follow", args=[discussion.pk]))
    assert follows(reader, discussion)
    assert ">Unfollow</button>" in client.get(discussion.get_absolute_url()).content.decode()

    client.post(reverse("discussions:unfollow", args=[discussion.pk]))
    assert not follows(reader, discussion)

    services.reply_create(author=reader, discussion=discussion, body="Still here")
    assert not follows(reader, discussion)


def test_following_lists_with_unread_counts_most_recently_active_first(client, reader, outsider, start):
    quiet = start(title="Quiet one", submission_token="q")
    busy = start(title="Busy one", submission_token="b")
    start(title="Not followed", submission_token="n")
    for discussion in (quiet, busy):
        read(client, reader, discussion)
        client.post(reverse("discussions:follow", args=[discussion.pk]))
    replies(busy, 3, author=outsider)

    page = client.get("/following/").content.decode()

    assert "Not followed" not in page
    assert page.index("Busy one") < page.index("3 new replies") < page.index("Quiet one")


def test_following_is_paginated_and_costs_the_same_for_few_and_many(
    client, reader, outsider, start, django_assert_max_num_queries
):
    client.force_login(reader)
    for n in range(FOLLOWING_PER_PAGE + 1):
        discussion = start(title=f"Followed {n}", submission_token=f"f{n}")
        DiscussionFollow.objects.create(user=reader, discussion=discussion)
        if n == 0:
            with django_assert_max_num_queries(100) as captured:
                client.get("/following/")
            few = len(captured)

    with django_assert_max_num_queries(few):
        first = client.get("/following/").content.decode()
    assert first.count('class="discussion-item') == FOLLOWING_PER_PAGE
    assert client.get("/following/?page=2").content.decode().count('class="discussion-item') == 1


def test_follow_and_save_take_only_a_post(client, reader, start):
    discussion = start()
    client.force_login(reader)

    for name in ("follow", "unfollow", "bookmark_delete"):
        assert client.get(reverse(f"discussions:{name}", args=[discussion.pk])).status_code == 405


# --- Private, and only what the member can still read ----------------------------------------


def test_a_discussion_that_became_unreadable_vanishes_from_saved_and_following(client, reader, start):
    discussion = start(title="Canary title 8f2")
    client.force_login(reader)
    client.post(reverse("discussions:bookmark", args=[discussion.pk]), {"note": "my note"})
    client.post(reverse("discussions:follow", args=[discussion.pk]))
    assert "Canary title 8f2" in client.get("/saved/").content.decode()

    # Now only for #mecfs members, which the reader is not.
    Discussion.objects.filter(pk=discussion.pk).update(visibility=Visibility.COMMUNITY)

    for url in ("/saved/", "/following/", "/"):
        assert "Canary title 8f2" not in client.get(url).content.decode()
    for name in ("bookmark", "bookmark_delete", "follow", "unfollow"):
        assert client.post(reverse(f"discussions:{name}", args=[discussion.pk])).status_code == 404


def test_a_removed_discussion_vanishes_too(client, reader, start):
    discussion = start(title="Canary title 9a1")
    Bookmark.objects.create(user=reader, discussion=discussion)
    DiscussionFollow.objects.create(user=reader, discussion=discussion)
    Discussion.objects.filter(pk=discussion.pk).update(status=Discussion.Status.REMOVED)
    client.force_login(reader)

    for url in ("/saved/", "/following/"):
        assert "Canary title 9a1" not in client.get(url).content.decode()


def test_nobody_else_sees_my_saved_or_followed_discussions(client, reader, outsider, start):
    discussion = start(title="Pacing on bad days")
    client.force_login(reader)
    client.post(reverse("discussions:bookmark", args=[discussion.pk]), {"note": "private note 77"})
    client.post(reverse("discussions:follow", args=[discussion.pk]))

    client.force_login(outsider)
    for url in ("/saved/", "/following/", discussion.get_absolute_url()):
        assert "private note 77" not in client.get(url).content.decode()
    assert "Pacing on bad days" not in client.get("/saved/").content.decode()
    assert "Pacing on bad days" not in client.get("/following/").content.decode()
    assert ">Follow</button>" in client.get(discussion.get_absolute_url()).content.decode()


def test_visitors_are_asked_to_sign_in_and_see_no_reading_forms(client, start):
    discussion = start()

    for url in ("/saved/", "/following/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    page = client.get(discussion.get_absolute_url()).content.decode()
    assert "reading-bar" not in page
    assert client.post(reverse("discussions:follow", args=[discussion.pk])).status_code == 302
    assert not DiscussionFollow.objects.filter(discussion=discussion).exclude(user=discussion.author).exists()


def test_the_header_links_to_saved_and_following_for_members_only(client, reader):
    assert 'href="/saved/"' not in client.get("/").content.decode()
    client.force_login(reader)

    page = client.get("/saved/").content.decode()

    assert '<a href="/saved/" aria-current="page">Saved</a>' in page
    assert '<a href="/following/">Following</a>' in page


# --- Export and deletion -------------------------------------------------------------------


def test_the_export_includes_positions_bookmarks_with_notes_and_follows(client, reader, start):
    saved = start(title="Saved one", submission_token="s")
    unfollowed = start(title="Unfollowed", submission_token="u")
    read(client, reader, saved)
    client.post(reverse("discussions:bookmark", args=[saved.pk]), {"note": "for my GP"})
    client.post(reverse("discussions:follow", args=[saved.pk]))
    client.post(reverse("discussions:unfollow", args=[unfollowed.pk]))

    contents = data_export_contents(reader)

    assert [p["discussion_id"] for p in contents["reading_positions"]] == [saved.pk]
    assert [(b["discussion_id"], b["note"]) for b in contents["bookmarks"]] == [(saved.pk, "for my GP")]
    assert [(f["discussion_id"], f["following"]) for f in contents["followed_discussions"]] == [
        (saved.pk, True),
        (unfollowed.pk, False),
    ]


def test_the_export_holds_only_the_members_own_reading_state(client, reader, outsider, start):
    discussion = start()
    client.force_login(outsider)
    client.post(reverse("discussions:bookmark", args=[discussion.pk]), {"note": "bob's note"})
    client.post(reverse("discussions:follow", args=[discussion.pk]))

    contents = data_export_contents(reader)

    assert contents["bookmarks"] == []
    assert contents["followed_discussions"] == []


def test_deleting_the_account_removes_its_reading_state(client, reader, start):
    discussion = start()
    read(client, reader, discussion)
    Bookmark.objects.create(user=reader, discussion=discussion, note="mine")
    DiscussionFollow.objects.create(user=reader, discussion=discussion)

    account_delete(user=reader, posts="delete")

    assert not Bookmark.objects.exists()
    assert not DiscussionFollow.objects.filter(discussion=discussion).exclude(user=discussion.author).exists()
