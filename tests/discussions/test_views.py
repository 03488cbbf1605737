"""Discussion pages through the test client."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from community.models import Membership
from discussions import services
from discussions.models import Discussion, Reply, Visibility
from moderation.services import discussion_lock, discussion_pin
from tests.helpers.privacy import normalised
from tests.helpers.users import approve_professional


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def as_other(other_member):
    client = Client()
    client.force_login(other_member)
    return client


def discussion_form(**overrides) -> dict:
    data = {
        "title": "Crashes after showering",
        "body": "Does anyone else crash after a **hot** shower?",
        "hashtags": "#cfs",
        "visibility": "members",
        "content_warning": "",
        "submission_token": "form-token-1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def textarea_text(html: str, name: str = "body") -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    return match.group(1) if match else ""


# --- /d/new/ -----------------------------------------------------------------------


def test_starting_a_discussion_needs_a_signed_in_member(client, mecfs):
    response = client.get("/d/new/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unverified_member_is_sent_to_confirm_their_email(client, user_factory, mecfs):
    client.force_login(user_factory("newbie", verified=False))

    response = client.get("/d/new/")

    assert response.status_code == 302 and response["Location"] == "/accounts/email/"


def test_the_new_discussion_form_has_the_contract_fields_and_a_token(as_member, mecfs):
    html = as_member.get("/d/new/?c=cfs").content.decode()

    for name in ("title", "body", "hashtags", "visibility", "anonymous", "content_warning", "submission_token"):
        assert f'name="{name}"' in html
    assert 'value="#mecfs"' in html  # the ?c= prefill resolves the alias
    assert re.search(r'name="submission_token" value="[\w-]{20,}"', html)
    assert re.search(r'name="visibility" value="community"[^>]*checked', html)


def test_a_member_starts_a_discussion(as_member, member, mecfs, spoonie):
    response = as_member.post(
        "/d/new/", discussion_form(hashtags="#cfs, spoonie", anonymous="on", content_warning="bodily detail")
    )

    discussion = Discussion.objects.get()
    assert response.status_code == 302 and response["Location"] == discussion.get_absolute_url()
    assert discussion.author == member and discussion.is_anonymous
    assert discussion.visibility == Visibility.MEMBERS
    assert discussion.content_warning == "bodily detail"
    assert set(discussion.tags.values_list("slug", flat=True)) == {"mecfs", "spoonie"}


def test_a_missing_visibility_means_community_never_public(as_member, member, mecfs):
    Membership.objects.create(user=member, community=mecfs)
    as_member.post("/d/new/", discussion_form(visibility=None))

    assert Discussion.objects.get().visibility == Visibility.COMMUNITY


def test_a_community_only_discussion_where_the_author_has_not_joined_is_refused_and_keeps_the_text(
    as_member, member, mecfs
):
    """They could not read it themselves: being its author gives no way in."""
    response = as_member.post("/d/new/", discussion_form(visibility="community"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "you have not joined #mecfs" in html
    assert 'value="Crashes after showering"' in html
    assert "Does anyone else crash after a **hot** shower?" in textarea_text(html)
    assert not Discussion.objects.exists()

    Membership.objects.create(user=member, community=mecfs)
    joined = as_member.post("/d/new/", discussion_form(visibility="community"))
    assert joined.status_code == 302
    assert as_member.get(joined["Location"]).status_code == 200


@pytest.mark.parametrize("value", ["superpublic", "PUBLIC ", ""])
def test_an_invalid_visibility_is_a_form_error_that_keeps_the_text(as_member, mecfs, value):
    response = as_member.post("/d/new/", discussion_form(visibility=value))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose who can read this" in html
    assert 'value="Crashes after showering"' in html
    assert "Does anyone else crash after a **hot** shower?" in textarea_text(html)
    assert not Discussion.objects.exists()


def test_an_unknown_hashtag_is_named_and_nothing_typed_is_lost(as_member, mecfs):
    response = as_member.post("/d/new/", discussion_form(hashtags="#mecfs #madeupthing"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "#madeupthing" in html and "There is no community" in html
    assert 'value="#mecfs #madeupthing"' in html
    assert "**hot** shower" in textarea_text(html)


def test_a_double_submitted_discussion_form_creates_one_discussion(as_member, mecfs):
    first = as_member.post("/d/new/", discussion_form())
    second = as_member.post("/d/new/", discussion_form())

    assert Discussion.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_title_of_ten_thousand_characters_is_refused_clearly(as_member, mecfs):
    response = as_member.post("/d/new/", discussion_form(title="x" * 10_000))

    assert response.status_code == 400
    assert "under 200 characters" in response.content.decode()


# --- the discussion page --------------------------------------------------------------


def test_the_page_shows_the_discussion_with_any_slug(client, start):
    discussion = start(title="Pacing <on> bad days", body="Try **resting** #cfs")

    for url in (f"/d/{discussion.pk}/", discussion.get_absolute_url(), f"/d/{discussion.pk}/wrong-slug/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<title>Pacing &lt;on&gt; bad days · Spoonful</title>" in html
        assert "<strong>resting</strong>" in html
        assert 'href="/c/mecfs/"' in html


def test_a_forbidden_discussion_looks_exactly_like_a_missing_one(client, outsider, start):
    hidden = start(visibility=Visibility.COMMUNITY, title="canary-com")
    client.force_login(outsider)

    forbidden = client.get(f"/d/{hidden.pk}/")
    forbidden_slug = client.get(hidden.get_absolute_url())
    missing = client.get("/d/999999/")

    assert forbidden.status_code == missing.status_code == forbidden_slug.status_code == 404
    # The pages differ only in the per-response CSRF mask of the sign-out form.
    pages = {normalised(response.content.decode()) for response in (forbidden, missing, forbidden_slug)}
    assert len(pages) == 1
    assert b"canary" not in forbidden.content


def test_a_public_discussion_is_indexable_for_visitors_only(client, member, start):
    discussion = start(visibility=Visibility.PUBLIC)

    visitor = client.get(discussion.get_absolute_url())
    assert '<meta name="robots" content="index, follow">' in visitor.content.decode()
    assert "X-Robots-Tag" not in visitor

    client.force_login(member)
    signed_in = client.get(discussion.get_absolute_url())
    assert 'content="noindex, nofollow"' in signed_in.content.decode()
    assert signed_in["X-Robots-Tag"] == "noindex, nofollow"


def test_a_members_only_discussion_is_never_indexed(client, member, start):
    discussion = start(visibility=Visibility.MEMBERS)
    client.force_login(member)

    response = client.get(discussion.get_absolute_url())

    assert 'content="noindex, nofollow"' in response.content.decode()


def test_visitors_get_a_sign_in_link_instead_of_a_reply_box(client, start):
    html = client.get(start().get_absolute_url()).content.decode()

    assert "Sign in to reply" in html
    assert '<textarea name="body"' not in html


def test_the_page_marks_pinned_locked_edited_and_content_warnings(client, member, staff, start):
    discussion = start(content_warning="blood tests")
    services.discussion_edit(acting_user=member, discussion=discussion, title="Pacing", body="Edited text")
    discussion_pin(acting_user=staff, discussion=discussion)
    discussion_lock(acting_user=staff, discussion=discussion)

    html = client.get(discussion.get_absolute_url()).content.decode()

    assert "Pinned" in html and "Locked: no new replies" in html
    assert "edited" in html
    assert re.search(r"<details class=\"content-warning\"><summary>Content warning: blood tests</summary>", html)
    assert '<details class="content-warning" open' not in html


# --- replying --------------------------------------------------------------------------


def reply_form(**overrides) -> dict:
    data = {"body": "Same here, pacing helps.", "submission_token": "reply-token-1"}
    data.update(overrides)
    return data


def test_the_reply_form_is_labelled_and_carries_a_token(as_other, start):
    html = as_other.get(start().get_absolute_url()).content.decode()

    assert re.search(r'<label for="id_body">Your reply</label>', html)
    assert re.search(r'name="submission_token" value="[\w-]{20,}"', html)


def test_a_reply_redirects_to_its_anchor(as_other, other_member, start):
    discussion = start()

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form())

    assert response.status_code == 302
    assert response["Location"] == f"/d/{discussion.pk}/#reply-1"
    reply = Reply.objects.get()
    assert (reply.author, reply.number, reply.body) == (other_member, 1, "Same here, pacing helps.")


def test_a_reply_to_a_reply_is_threaded(as_other, start):
    discussion = start()
    as_other.post(f"/d/{discussion.pk}/reply/", reply_form())

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form(parent="1", submission_token="t2"))

    assert response["Location"] == f"/d/{discussion.pk}/#reply-2"
    assert Reply.objects.get(number=2).parent.number == 1


def test_a_double_submitted_reply_gives_one_reply(as_other, start):
    discussion = start()

    first = as_other.post(f"/d/{discussion.pk}/reply/", reply_form())
    second = as_other.post(f"/d/{discussion.pk}/reply/", reply_form())

    assert Reply.objects.count() == 1
    assert first["Location"] == second["Location"] == f"/d/{discussion.pk}/#reply-1"


def test_a_locked_discussion_refuses_the_reply_and_keeps_the_text(as_other, staff, start):
    discussion = start()
    discussion_lock(acting_user=staff, discussion=discussion)

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form(body="My careful long reply"))

    assert response.status_code == 403
    html = response.content.decode()
    assert "This discussion is locked" in html
    assert textarea_text(html) == "My careful long reply"
    assert not Reply.objects.exists()


def test_an_invalid_reply_is_a_400_that_keeps_the_text(as_other, start):
    discussion = start()

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form(body="x" * 20_001))

    assert response.status_code == 400
    assert "20,000" in response.content.decode()
    assert len(textarea_text(response.content.decode())) == 20_001


def test_a_reply_to_a_missing_parent_is_a_400(as_other, start):
    discussion = start()

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form(parent="42", body="To whom?"))

    assert response.status_code == 400
    assert "no reply #42" in response.content.decode()
    assert "To whom?" in textarea_text(response.content.decode())


def test_a_visitor_posting_a_reply_is_sent_to_sign_in(client, start):
    discussion = start()

    response = client.post(f"/d/{discussion.pk}/reply/", reply_form())

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Reply.objects.exists()


def test_replying_to_an_invisible_discussion_is_a_404(as_other, start):
    discussion = start(visibility=Visibility.COMMUNITY)

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form())

    assert response.status_code == 404
    assert not Reply.objects.exists()


def test_replying_needs_a_csrf_token(other_member, start):
    discussion = start()
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_member)

    response = client.post(f"/d/{discussion.pk}/reply/", reply_form())

    assert response.status_code == 403
    assert not Reply.objects.exists()


def test_reply_and_catch_up_urls_show_the_page_when_fetched_like_a_slug(client, start):
    discussion = start(title="Reply")

    assert client.get(f"/d/{discussion.pk}/reply/").status_code == 200
    assert client.get(f"/d/{discussion.pk}/replies/").status_code == 200


# --- how replies are shown ------------------------------------------------------------------


def test_tombstones_never_show_the_text(client, member, other_member, start):
    discussion = start()
    removed = services.reply_create(author=other_member, discussion=discussion, body="canary-removed")
    deleted = services.reply_create(author=other_member, discussion=discussion, body="canary-deleted")
    Reply.objects.filter(pk=removed.pk).update(
        status=Reply.Status.REMOVED, removal_guideline=3, removal_reason="selling supplements"
    )
    services.reply_delete_by_author(acting_user=other_member, reply=deleted)

    html = client.get(discussion.get_absolute_url()).content.decode()

    assert "Removed by moderators: guideline 3" in html
    assert "selling supplements" not in html  # the reason is for the reply's author alone
    assert "Deleted by its author" in html
    assert "canary" not in html
    assert 'id="reply-1"' in html and 'id="reply-2"' in html


def test_anonymous_replies_hide_the_author_except_from_themselves(client, member, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Quietly", is_anonymous=True)

    visitor_html = client.get(discussion.get_absolute_url()).content.decode()
    assert "Anonymous member" in visitor_html
    assert "carol" not in visitor_html.lower()

    client.force_login(other_member)
    own_html = client.get(discussion.get_absolute_url()).content.decode()
    assert "you (anonymous)" in own_html


def test_only_named_replies_by_the_discussion_author_carry_the_author_mark(client, member, start):
    discussion = start()
    services.reply_create(author=member, discussion=discussion, body="Named")
    services.reply_create(author=member, discussion=discussion, body="Hidden", is_anonymous=True)

    html = client.get(discussion.get_absolute_url()).content.decode()

    first, second = html.split('id="reply-2"')
    assert 'class="mark mark-author">author<' in first
    assert "mark-author" not in second


def test_an_anonymous_discussion_marks_no_reply_as_by_its_author(client, member, start):
    discussion = start(is_anonymous=True)
    services.reply_create(author=member, discussion=discussion, body="Named reply")

    html = client.get(discussion.get_absolute_url()).content.decode()

    assert "mark-author" not in html
    assert "Started by\n      Anonymous member" in html


def test_replies_show_in_thread_order_with_a_link_beyond_the_indent(client, other_member, start):
    discussion = start()
    parent = None
    for _ in range(6):
        parent = services.reply_create(
            author=other_member, discussion=discussion, body="deeper", parent_number=parent.number if parent else None
        )
    services.reply_create(author=other_member, discussion=discussion, body="top level again")
    services.reply_create(author=other_member, discussion=discussion, body="answer to one", parent_number=1)

    html = client.get(discussion.get_absolute_url()).content.decode()

    order = [int(number) for number in re.findall(r'<article class="reply[^"]*" id="reply-(\d+)"', html)]
    assert order == [1, 2, 3, 4, 5, 6, 8, 7]
    assert 'class="reply indent-4" id="reply-6"' in html
    assert 'href="#reply-5">replying to #5</a>' in html
    assert "replying to #1<" not in html


def test_show_more_replies_is_a_plain_link_to_the_next_window(client, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 120, author=other_member)

    first = client.get(discussion.get_absolute_url()).content.decode()
    assert 'id="reply-50"' in first and 'id="reply-51"' not in first
    link = re.search(r'<a href="(\?from=[^"]+)">Show more replies</a>', first).group(1)

    second = client.get(discussion.get_absolute_url() + link.replace("&amp;", "&")).content.decode()
    assert 'id="reply-51"' in second and 'id="reply-100"' in second and 'id="reply-50"' not in second
    assert "Back to the first replies" in second


def test_a_reply_beyond_the_first_window_redirects_to_a_window_that_holds_it(
    as_other, other_member, start, bulk_replies
):
    discussion = start()
    bulk_replies(discussion, 60, author=other_member)

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form())

    assert response["Location"] == f"/d/{discussion.pk}/?at=61#reply-61"
    assert 'id="reply-61"' in as_other.get(response["Location"]).content.decode()


# --- catch-up ---------------------------------------------------------------------------------


def test_catch_up_returns_later_replies_as_html_fragments(client, other_member, start):
    discussion = start()
    for text in ("one", "two", "three"):
        services.reply_create(author=other_member, discussion=discussion, body=text)

    response = client.get(f"/d/{discussion.pk}/replies/?after=1")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'id="reply-(\d+)"', html) == ["2", "3"]
    assert "<p>two</p>" in html and "<p>one</p>" not in html
    assert "<html" not in html


def test_catch_up_speaks_json_when_asked(client, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="one")
    services.reply_create(author=other_member, discussion=discussion, body="two", parent_number=1)

    response = client.get(f"/d/{discussion.pk}/replies/?after=0", headers={"Accept": "application/json"})

    data = response.json()
    assert [(item["number"], item["parent"]) for item in data["replies"]] == [(1, None), (2, 1)]
    assert 'id="reply-2"' in data["replies"][1]["html"]
    assert data["last_number"] == 2


def test_catch_up_leaves_out_what_the_viewer_may_not_see(client, member, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="canary-held")
    Reply.objects.update(status=Reply.Status.HELD)
    services.reply_create(author=other_member, discussion=discussion, body="visible")

    data = client.get(f"/d/{discussion.pk}/replies/?after=0", headers={"Accept": "application/json"}).json()

    assert [item["number"] for item in data["replies"]] == [2]
    assert "canary" not in str(data)


def test_catch_up_on_an_invisible_discussion_is_a_404(client, start):
    discussion = start(visibility=Visibility.MEMBERS)

    assert client.get(f"/d/{discussion.pk}/replies/?after=0").status_code == 404


@pytest.mark.parametrize("after", ["abc", "-1", "1e9", "99999999999999999999", "", "²", "١٢"])
def test_catch_up_with_a_bad_after_is_a_400_with_a_reason(client, start, after):
    discussion = start()

    response = client.get(f"/d/{discussion.pk}/replies/", {"after": after})

    assert response.status_code == 400
    assert b"after must be a reply number" in response.content


def test_catch_up_returns_at_most_a_hundred(client, other_member, start, bulk_replies):
    discussion = start()
    bulk_replies(discussion, 130, author=other_member)

    data = client.get(f"/d/{discussion.pk}/replies/?after=10", headers={"Accept": "application/json"}).json()

    assert len(data["replies"]) == 100
    assert data["last_number"] == 110 and data["has_more"] is True


# --- author and moderator actions ---------------------------------------------------------------


def test_an_author_edits_a_reply_through_its_form(as_other, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Typo hree")

    page = as_other.get(f"/d/{discussion.pk}/replies/1/edit/")
    assert "Typo hree" in textarea_text(page.content.decode())
    response = as_other.post(f"/d/{discussion.pk}/replies/1/edit/", {"body": "Typo here"})

    assert response.status_code == 302
    reply = Reply.objects.get()
    assert reply.body == "Typo here" and reply.revisions.get().body == "Typo hree"


def test_someone_else_cannot_open_the_edit_or_delete_form(as_member, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Mine")

    assert as_member.get(f"/d/{discussion.pk}/replies/1/edit/").status_code == 404
    assert as_member.post(f"/d/{discussion.pk}/replies/1/delete/").status_code == 404
    assert Reply.objects.get().status == Reply.Status.PUBLISHED


def test_an_author_deletes_a_reply_after_confirming(as_other, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Second thoughts")

    assert as_other.get(f"/d/{discussion.pk}/replies/1/delete/").status_code == 200
    assert Reply.objects.get().status == Reply.Status.PUBLISHED
    response = as_other.post(f"/d/{discussion.pk}/replies/1/delete/")

    assert response.status_code == 302
    assert Reply.objects.get().status == Reply.Status.DELETED


def test_an_author_edits_and_deletes_their_discussion(as_member, start):
    discussion = start()

    response = as_member.post(
        f"/d/{discussion.pk}/discussion/edit/", {"title": "Better title", "body": "Better body", "content_warning": ""}
    )
    assert response.status_code == 302
    discussion.refresh_from_db()
    assert discussion.title == "Better title" and discussion.revisions.count() == 1

    as_member.post(f"/d/{discussion.pk}/discussion/delete/")
    discussion.refresh_from_db()
    assert discussion.status == Discussion.Status.DELETED
    assert as_member.get(f"/d/{discussion.pk}/").status_code == 404


def test_moderators_pin_and_lock_from_the_page_through_moderation(
    client, moderator, other_member, mecfs, add_member, start
):
    discussion = start()
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    client.force_login(other_member)
    assert client.post(f"/mod/discussion/{discussion.pk}/pin/").status_code == 404

    client.force_login(moderator)
    page = client.get(discussion.get_absolute_url()).content.decode()
    assert f'action="/mod/discussion/{discussion.pk}/pin/"' in page
    assert f'action="/mod/discussion/{discussion.pk}/lock/"' in page
    back = {"next": discussion.get_absolute_url()}
    assert client.get(f"/mod/discussion/{discussion.pk}/pin/").status_code == 405
    assert client.post(f"/mod/discussion/{discussion.pk}/pin/", back)["Location"] == discussion.get_absolute_url()
    assert client.post(f"/mod/discussion/{discussion.pk}/lock/", back)["Location"] == discussion.get_absolute_url()

    discussion.refresh_from_db()
    assert discussion.is_pinned and discussion.is_locked
    assert client.get(f"/d/{discussion.pk}/discussion/history/").status_code == 200


@pytest.mark.parametrize("action", ["pin", "lock"])
def test_the_old_pin_and_lock_urls_are_gone(client, moderator, mecfs, add_member, start, action):
    discussion = start()
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    client.force_login(moderator)

    assert client.post(f"/d/{discussion.pk}/discussion/{action}/", {"value": "1"}).status_code == 404

    discussion.refresh_from_db()
    assert not discussion.is_pinned and not discussion.is_locked


def test_an_author_narrows_the_audience_and_is_asked_before_widening_it(as_member, member, mecfs, start):
    Membership.objects.create(user=member, community=mecfs)
    discussion = start(visibility=Visibility.MEMBERS)

    assert as_member.get(f"/d/{discussion.pk}/discussion/visibility/").status_code == 200
    widen = as_member.post(f"/d/{discussion.pk}/discussion/visibility/", {"visibility": "public"})
    assert widen.status_code == 200 and "including search engines" in widen.content.decode()
    discussion.refresh_from_db()
    assert discussion.visibility == Visibility.MEMBERS
    narrow = as_member.post(f"/d/{discussion.pk}/discussion/visibility/", {"visibility": "community"})
    assert narrow.status_code == 302

    discussion.refresh_from_db()
    assert discussion.visibility == Visibility.COMMUNITY


def test_an_author_cannot_narrow_the_audience_to_a_community_they_have_not_joined(as_member, start):
    discussion = start(visibility=Visibility.MEMBERS)

    narrow = as_member.post(f"/d/{discussion.pk}/discussion/visibility/", {"visibility": "community"})

    assert narrow.status_code == 400 and "you have not joined #mecfs" in narrow.content.decode()
    discussion.refresh_from_db()
    assert discussion.visibility == Visibility.MEMBERS
    assert as_member.get(discussion.get_absolute_url()).status_code == 200


def test_held_replies_are_shown_to_their_author_only(client, member, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="canary-waiting")
    Reply.objects.update(status=Reply.Status.HELD, created_at=timezone.now())

    assert "canary-waiting" not in client.get(discussion.get_absolute_url()).content.decode()
    client.force_login(other_member)
    own = client.get(discussion.get_absolute_url()).content.decode()
    assert "canary-waiting" in own and "until a moderator approves it" in own


def test_posted_text_is_kept_out_of_error_reports(as_other, as_member, start, mecfs):
    discussion = start()

    reply = as_other.post(f"/d/{discussion.pk}/reply/", reply_form())
    new = as_member.post("/d/new/", discussion_form())

    assert set(reply.wsgi_request.sensitive_post_parameters) >= {"body"}
    assert set(new.wsgi_request.sensitive_post_parameters) >= {"title", "body", "content_warning"}


@pytest.mark.parametrize(
    "query", ["?at=²", "?at=99999999999999999999", "?from=²", "?from=abc", "?reply_to=²", "?from=1.2.x"]
)
def test_odd_window_parameters_are_ignored_not_errors(client, start, query):
    discussion = start()

    assert client.get(discussion.get_absolute_url() + query).status_code == 200


def test_nul_and_control_characters_never_reach_the_database(as_other, start):
    discussion = start()

    response = as_other.post(f"/d/{discussion.pk}/reply/", reply_form(body="a\x00b\x02c"))

    assert response.status_code == 302
    assert Reply.objects.get().body == "abc"


def test_a_verified_professional_with_two_factor_can_start_a_discussion_with_the_badge(client, user_factory, mecfs):
    from accounts.selectors import badge_for_post
    from community.models import Membership
    from discussions.models import Discussion

    doctor = user_factory("drkim", display_name="Dr Kim", two_factor=True)
    Membership.objects.create(user=doctor, community=mecfs)
    approve_professional(doctor)
    client.force_login(doctor)

    form = client.get("/d/new/").content.decode()
    response = client.post(
        "/d/new/",
        {
            "title": "Pacing and heart rate",
            "body": "Some general notes.",
            "hashtags": "#mecfs",
            "visibility": "members",
            "as_professional": "on",
            "submission_token": "t-1",
        },
    )

    assert "Post with my professional badge" in form
    assert response.status_code == 302
    discussion = Discussion.objects.get(title="Pacing and heart rate")
    assert discussion.as_professional
    assert badge_for_post(discussion).label == "Verified physician · UK"


def test_the_badge_choice_is_not_offered_to_members_without_a_verification(client, member, mecfs):
    client.force_login(member)

    assert "professional badge" not in client.get("/d/new/").content.decode()


def test_posting_too_fast_is_limited_and_keeps_the_text(client, member, mecfs, settings):
    settings.SPOONFUL_RATE_LIMITS = {"post": [("user", 1, 60)]}
    client.force_login(member)
    fields = {"title": "First", "body": "One", "hashtags": "mecfs", "visibility": "members", "submission_token": "a"}
    assert client.post("/d/new/", fields).status_code == 302

    response = client.post("/d/new/", {**fields, "title": "Second", "body": "Typed with care", "submission_token": "b"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Please wait" in page
    assert "Typed with care" in page
    assert not Discussion.objects.filter(title="Second").exists()


def test_replying_too_fast_is_limited_and_keeps_the_reply(client, member, mecfs, settings, start):
    discussion = start()
    settings.SPOONFUL_RATE_LIMITS = {"post": [("user", 1, 60)]}
    client.force_login(member)
    client.post(f"/d/{discussion.pk}/reply/", {"body": "First reply", "submission_token": "r1"})

    response = client.post(f"/d/{discussion.pk}/reply/", {"body": "Second, typed slowly", "submission_token": "r2"})

    assert response.status_code == 429
    assert "Second, typed slowly" in response.content.decode()
    assert discussion.replies.count() == 1


def test_a_post_with_crisis_words_is_published_and_the_poster_sees_support_first(client, member, mecfs, start):
    discussion = start()
    client.force_login(member)

    response = client.post(
        f"/d/{discussion.pk}/reply/", {"body": "I want to end my life tonight", "submission_token": "c1"}
    )

    reply = discussion.replies.get()
    assert reply.status == reply.Status.PUBLISHED
    assert response.status_code == 302
    assert response["Location"].startswith("/mod/support/?next=")
    support = client.get(response["Location"])
    assert support.status_code == 200
    assert f"/d/{discussion.pk}/" in support.content.decode()


def test_a_held_post_tells_the_poster_it_waits_for_a_moderator(client, user_factory, mecfs, start):
    from community.models import Membership
    from moderation.models import KeywordRule

    discussion = start()
    KeywordRule.objects.create(community=mecfs, pattern="miracle cure", action=KeywordRule.Action.HOLD)
    newcomer = user_factory("newcomer")
    Membership.objects.create(user=newcomer, community=mecfs)
    client.force_login(newcomer)

    response = client.post(
        f"/d/{discussion.pk}/reply/",
        {"body": "Has anyone tried a miracle cure?", "submission_token": "h1"},
        follow=True,
    )

    assert "waiting for a moderator" in response.content.decode()
    assert discussion.replies.get().status == "held"


def test_a_member_of_one_private_community_does_not_learn_of_another_the_discussion_is_in(
    client, member, community_factory, add_member
):
    from community.models import Community

    first = community_factory("firstcircle", policy=Community.Policy.PRIVATE, name="First circle")
    second = community_factory("secondcircle", policy=Community.Policy.PRIVATE, name="Second circle")
    add_member(member, first)
    discussion = Discussion.objects.create(
        title="Shared in two circles",
        body="x",
        body_html="<p>x</p>",
        last_activity_at=timezone.now(),
        visibility=Visibility.COMMUNITY,
    )
    discussion.tags.add(first.tag, second.tag)
    client.force_login(member)

    page = client.get(discussion.get_absolute_url()).content.decode()

    assert "#firstcircle" in page
    assert "secondcircle" not in page


def test_a_live_frame_rendered_for_an_audience_carries_nothing_personal_to_its_stand_in(
    member, other_member, outsider, start
):
    from accounts.services import block_create
    from discussions.presenters import reply_html_for_viewer

    discussion = start(visibility=Visibility.PUBLIC)
    reply = services.reply_create(author=other_member, discussion=discussion, body="A reply to render")
    block_create(blocker=outsider, blocked=other_member)

    html = reply_html_for_viewer(viewer=outsider, discussion=discussion, number=reply.number)

    assert "blocked" not in html
    assert "A reply to render" in html
