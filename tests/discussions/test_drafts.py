"""Drafts save themselves on the server as a member types (capability 8), are read
by their writer only, come back into the form, and go once the post is made."""

import json

import pytest
from django.test import Client

from accounts.account_deletion import account_delete
from accounts.data_export import data_export_contents
from community.models import Membership
from discussions import drafts, services
from discussions.models import Discussion, Draft, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _save(client: Client, key: str, **fields):
    return client.post(f"/drafts/{key}/", fields)


# --- Saving -----------------------------------------------------------------------------


def test_saving_stores_the_draft_and_answers_when(as_member, member):
    response = _save(as_member, "new", title="Pacing", body="Half of what I think I can do", hashtags="#mecfs")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    draft = Draft.objects.get(user=member, key="new")
    assert (draft.title, draft.body, draft.hashtags) == ("Pacing", "Half of what I think I can do", "#mecfs")
    assert json.loads(response.content)["saved_at"] == draft.updated_at.isoformat()


def test_saving_again_updates_the_one_draft(as_member, member):
    _save(as_member, "new", body="first words")
    _save(as_member, "new", body="first words, then more")

    assert list(Draft.objects.filter(user=member).values_list("body", flat=True)) == ["first words, then more"]


def test_a_reply_draft_keeps_only_the_reply_text(as_member, member, start):
    discussion = start(author=member)

    response = _save(as_member, f"reply-{discussion.pk}", body="Me too", title="not a reply field")

    assert response.status_code == 200
    draft = Draft.objects.get(user=member, key=f"reply-{discussion.pk}")
    assert (draft.body, draft.title) == ("Me too", "")


def test_clearing_the_form_forgets_the_draft(as_member, member):
    _save(as_member, "new", body="something")
    response = _save(as_member, "new", body="  ", title="")

    assert response.status_code == 200
    assert not Draft.objects.filter(user=member).exists()


def test_control_characters_are_left_out(as_member, member):
    _save(as_member, "new", body="a\x00b\r\nc")

    assert Draft.objects.get(user=member).body == "ab\nc"


@pytest.mark.parametrize(
    "key",
    ["old", "NEW", "reply-", "reply-0", "reply-01", "reply--1", "reply-1x", "reply-12345678901", "new%20"],
)
def test_a_bad_key_is_refused_with_a_reason(as_member, member, key):
    response = _save(as_member, key, body="text")

    assert response.status_code == 400
    assert "new discussion" in json.loads(response.content)["error"]
    assert as_member.post(f"/drafts/{key}/discard/").status_code == 400
    assert not Draft.objects.exists()


@pytest.mark.parametrize(
    ("field", "limit"), [("body", 20_000), ("title", 200), ("hashtags", 1000), ("content_warning", 80)]
)
def test_a_field_over_its_limit_is_refused_and_nothing_is_stored(as_member, member, field, limit):
    _save(as_member, "new", body="the earlier draft")

    at_limit = _save(as_member, "new", **{field: "x" * limit})
    assert at_limit.status_code == 200
    over = _save(as_member, "new", **{field: "y" * (limit + 1)})

    assert over.status_code == 400
    assert f"{limit:,} characters" in json.loads(over.content)["error"]
    assert getattr(Draft.objects.get(user=member), field) == "x" * limit


def test_a_megabyte_body_is_refused(as_member, member):
    response = _save(as_member, "new", body="z" * 1_000_000)

    assert response.status_code == 400
    assert not Draft.objects.filter(user=member).exists()


def test_saving_needs_a_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert _save(client, "new", body="sneaky").status_code == 403
    assert client.post("/drafts/new/discard/").status_code == 403
    assert not Draft.objects.exists()


def test_saving_needs_a_signed_in_member_and_a_post(client, member):
    response = _save(client, "new", body="who am I")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    client.force_login(member)
    assert client.get("/drafts/new/").status_code == 405
    assert not Draft.objects.exists()


def test_saving_is_rate_limited_generously(as_member, member, settings):
    settings.SPOONFUL_RATE_LIMITS = {"draft": [("user", 2, 60)]}
    assert _save(as_member, "new", body="one").status_code == 200
    assert _save(as_member, "new", body="two").status_code == 200

    limited = _save(as_member, "new", body="three")

    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "saved drafts" in json.loads(limited.content)["error"]
    assert Draft.objects.get(user=member).body == "two"


def test_the_default_draft_limit_allows_a_save_every_half_second():
    from spoonful.ratelimits import DEFAULT_LIMITS

    assert DEFAULT_LIMITS["draft"] == [("user", 120, 60)]


# --- Loading into the forms ---------------------------------------------------------------


def test_the_new_discussion_form_comes_back_with_the_draft(as_member):
    _save(as_member, "new", title="Half-written title", body="Half-written body", content_warning="fatigue")

    page = as_member.get("/d/new/").content.decode()

    assert 'value="Half-written title"' in page
    assert "Half-written body</textarea>" in page
    assert 'value="fatigue"' in page
    assert 'data-draft-key="new"' in page
    assert 'role="status" data-draft-status' in page
    assert "js/drafts.js" in page


def test_a_hashtag_from_the_link_fills_only_an_empty_hashtag_field(as_member, mecfs, spoonie):
    _save(as_member, "new", body="Body only")
    assert 'value="#mecfs"' in as_member.get("/d/new/?c=mecfs").content.decode()

    _save(as_member, "new", body="Body only", hashtags="#spoonie")
    page = as_member.get("/d/new/?c=mecfs").content.decode()
    assert 'value="#spoonie"' in page


def test_the_reply_box_comes_back_with_the_draft(start, member, other_member):
    discussion = start(author=member)
    carol = _client_for(other_member)
    _save(carol, f"reply-{discussion.pk}", body="A reply I was writing")

    page = carol.get(discussion.get_absolute_url()).content.decode()

    assert "A reply I was writing</textarea>" in page
    assert f'data-draft-key="reply-{discussion.pk}"' in page


def test_a_bound_form_shows_what_was_posted_not_the_draft(as_member):
    _save(as_member, "new", title="From the draft", body="Draft body")

    response = as_member.post("/d/new/", {"title": "", "body": "What I just typed", "visibility": "members"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "What I just typed</textarea>" in page
    assert "Draft body" not in page


# --- Discarding -------------------------------------------------------------------------------


def test_posting_the_discussion_discards_its_draft(as_member, member, mecfs):
    _save(as_member, "new", title="Pacing", body="Draft")

    response = as_member.post(
        "/d/new/", {"title": "Pacing", "body": "Final", "hashtags": "mecfs", "visibility": "members"}
    )

    assert response.status_code == 302
    assert not Draft.objects.filter(user=member).exists()
    assert "Draft</textarea>" not in as_member.get("/d/new/").content.decode()


def test_a_failed_post_keeps_the_draft(as_member, member):
    _save(as_member, "new", title="Pacing", body="Draft")

    response = as_member.post("/d/new/", {"title": "", "body": "Final", "visibility": "members"})

    assert response.status_code == 400
    assert Draft.objects.filter(user=member, key="new").exists()


def test_starting_a_discussion_discards_the_authors_new_discussion_draft(member, other_member, mecfs):
    drafts.draft_save(user=member, key="new", title="Pacing", body="Draft")
    drafts.draft_save(user=other_member, key="new", title="Mine", body="Not posted")

    services.discussion_create(author=member, title="Pacing", body="Final", hashtags=["mecfs"], visibility="members")

    assert list(Draft.objects.values_list("user__username", flat=True)) == ["carol"]


def test_a_discussion_whose_commit_fails_keeps_its_draft(member, mecfs, monkeypatch):
    drafts.draft_save(user=member, key="new", title="Pacing", body="Draft")

    def broken(*args, **kwargs):
        raise RuntimeError("the job queue is down")

    # Its search indexing is queued in the discussion's own transaction, after the draft goes.
    monkeypatch.setattr(services.jobs, "enqueue", broken)
    with pytest.raises(RuntimeError):
        services.discussion_create(
            author=member, title="Pacing", body="Final", hashtags=["mecfs"], visibility="members"
        )

    assert not Discussion.objects.exists()
    assert Draft.objects.filter(user=member, key="new").exists()


def test_posting_a_reply_discards_only_that_reply_draft(start, member, other_member):
    first = start(author=member, title="First")
    second = start(author=member, title="Second")
    carol = _client_for(other_member)
    _save(carol, f"reply-{first.pk}", body="for the first")
    _save(carol, f"reply-{second.pk}", body="for the second")
    _save(carol, "new", body="a discussion of my own")

    response = carol.post(f"/d/{first.pk}/reply/", {"body": "Posted reply"})

    assert response.status_code == 302
    assert sorted(Draft.objects.filter(user=other_member).values_list("key", flat=True)) == [
        "new",
        f"reply-{second.pk}",
    ]


def test_a_save_arriving_after_the_post_does_not_bring_it_back(as_member, member, mecfs):
    fields = {"title": "Pacing", "body": "Final", "hashtags": "mecfs", "visibility": "members"}
    as_member.post("/d/new/", {**fields, "submission_token": "tok-1"})

    late = _save(as_member, "new", body="Final", submission_token="tok-1")

    assert late.status_code == 200
    assert not Draft.objects.filter(user=member).exists()


def test_the_member_can_discard_a_draft(as_member, member):
    _save(as_member, "new", body="never mind")

    response = as_member.post("/drafts/new/discard/")

    assert response.status_code == 200
    assert not Draft.objects.filter(user=member).exists()


# --- Only the writer, only while they may see the discussion --------------------------------


def test_another_member_can_neither_read_nor_overwrite_a_draft(as_member, member, other_member, start):
    discussion = start(author=other_member)
    _save(as_member, "new", title="Alice's secret title", body="Alice's words")
    _save(as_member, f"reply-{discussion.pk}", body="Alice's reply words")
    carol = _client_for(other_member)

    new_page = carol.get("/d/new/").content.decode()
    detail = carol.get(discussion.get_absolute_url()).content.decode()
    _save(carol, "new", body="Carol's words")
    carol.post("/drafts/new/discard/")
    _save(carol, f"reply-{discussion.pk}", body="Carol's reply")

    assert "Alice" not in new_page
    assert "Alice's reply words" not in detail
    assert Draft.objects.get(user=member, key="new").body == "Alice's words"
    assert Draft.objects.get(user=member, key=f"reply-{discussion.pk}").body == "Alice's reply words"
    assert drafts.draft_get(other_member, "new") is None
    assert drafts.draft_get(other_member, f"reply-{discussion.pk}").body == "Carol's reply"


def test_a_reply_draft_is_not_shown_once_the_discussion_is_out_of_sight(start, member, other_member, mecfs, add_member):
    membership = add_member(other_member, mecfs)
    discussion = start(author=member, visibility=Visibility.COMMUNITY)
    carol = _client_for(other_member)
    assert _save(carol, f"reply-{discussion.pk}", body="my careful reply").status_code == 200
    assert drafts.draft_get(other_member, f"reply-{discussion.pk}").body == "my careful reply"

    membership.status = Membership.Status.BANNED
    membership.save()

    assert drafts.draft_get(other_member, f"reply-{discussion.pk}") is None
    assert carol.get(discussion.get_absolute_url()).status_code == 404
    # Saving for it now is refused like a missing discussion.
    assert _save(carol, f"reply-{discussion.pk}", body="more").status_code == 404
    assert _save(carol, "reply-999999", body="nothing there").status_code == 404


def test_a_signed_out_visitor_has_no_drafts(member):
    from django.contrib.auth.models import AnonymousUser

    Draft.objects.create(user=member, key="new", body="mine")

    assert drafts.draft_get(AnonymousUser(), "new") is None


def test_a_reply_draft_is_not_offered_on_a_locked_discussion(start, member, other_member):
    discussion = start(author=member)
    carol = _client_for(other_member)
    _save(carol, f"reply-{discussion.pk}", body="unsent words")
    Discussion.objects.filter(pk=discussion.pk).update(is_locked=True)

    page = carol.get(discussion.get_absolute_url()).content.decode()

    assert "unsent words" not in page
    assert Draft.objects.filter(user=other_member).exists()


def test_the_model_refuses_a_bad_key(member):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Draft(user=member, key="reply-abc").full_clean()
    with pytest.raises(ValidationError):
        drafts.draft_save(user=member, key="reply-1\n", body="x")


# --- Export and erasure ---------------------------------------------------------------------


def test_the_data_export_holds_the_members_drafts(member, other_member, start, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    discussion = start(author=other_member)
    drafts.draft_save(user=member, key="new", title="draftcnrytitle", body="draftcnrybody")
    drafts.draft_save(user=member, key=f"reply-{discussion.pk}", body="replydraftcnry")
    drafts.draft_save(user=other_member, key="new", body="carolsdraftcnry")

    archive = data_export_contents(member)

    assert [(d["form"], d["body"]) for d in archive["drafts"]] == [
        ("new", "draftcnrybody"),
        (f"reply-{discussion.pk}", "replydraftcnry"),
    ]
    assert archive["drafts"][0]["title"] == "draftcnrytitle"
    assert "carolsdraftcnry" not in json.dumps(archive, default=str)


def test_deleting_the_account_deletes_its_drafts(member, other_member, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    drafts.draft_save(user=member, key="new", body="erasecnry words")
    drafts.draft_save(user=other_member, key="new", body="carol keeps hers")

    account_delete(user=member, posts="delete")

    assert not Draft.objects.filter(body__contains="erasecnry").exists()
    assert Draft.objects.filter(user=other_member).exists()
