"""Issue 11, item 19: an author sees the earlier versions of their own posts and can
remove the text of any of them for good. Each removal is audited without the text;
what a moderator redacted stays in the moderation log for its retention period."""

import pytest

from discussions import services
from discussions.models import AuthorAction, Discussion, Revision
from moderation.flags import flag_create
from moderation.models import ModerationAction
from moderation.post_actions import REDACTION_MARK, post_redact
from tests.helpers.users import enable_two_factor

pytestmark = pytest.mark.django_db

FIRST = "first draft mentions cnryfirstversion"
SECOND = "second draft mentions cnrysecondversion"
CURRENT = "the current text"


@pytest.fixture
def edited(world) -> Discussion:
    """The author's public discussion, edited twice: versions 1 and 2 are kept."""
    discussion = world.posts["public"]
    author = world.users["author"]
    Discussion.objects.filter(pk=discussion.pk).update(body=FIRST)
    discussion.refresh_from_db()
    for body in (SECOND, CURRENT):
        services.discussion_edit(acting_user=author, discussion=discussion, title=discussion.title, body=body)
    return discussion


@pytest.fixture
def edited_reply(world):
    """The member's reply in the public discussion, edited once: version 1 is the original."""
    reply = world.posts["public"].replies.get(number=1)
    reply.discussion = world.posts["public"]
    services.reply_edit(acting_user=world.users["member"], reply=reply, body="the reply, reworded")
    return reply


def _history(discussion) -> str:
    return f"/d/{discussion.pk}/discussion/revisions/"


def _purge(discussion, version: int) -> str:
    return f"/d/{discussion.pk}/discussion/revisions/{version}/purge/"


def test_the_author_sees_the_earlier_versions_of_their_discussion(world, edited):
    response = world.client("author").get(_history(edited))

    assert response.status_code == 200
    html = response.content.decode()
    assert "cnryfirstversion" in html and "cnrysecondversion" in html
    assert html.index("Version 2") < html.index("Version 1")


@pytest.mark.parametrize("viewer", ["member", "outsider", "mod_this", "visitor"])
def test_nobody_else_sees_the_authors_own_history_page(world, edited, viewer):
    response = world.client(viewer).get(_history(edited))

    assert response.status_code in (302, 404)
    assert "cnryfirstversion" not in response.content.decode()


def test_the_discussion_page_links_the_author_to_their_earlier_versions(world, edited):
    assert _history(edited) in world.client("author").get(f"/d/{edited.pk}/").content.decode()
    assert _history(edited) not in world.client("member").get(f"/d/{edited.pk}/").content.decode()


def test_the_author_purges_an_earlier_version_and_the_audit_row_keeps_no_text(world, edited):
    author = world.client("author")

    asked = author.get(_purge(edited, 1))
    assert asked.status_code == 200 and "cnryfirstversion" in asked.content.decode()
    assert Revision.objects.filter(body=FIRST).exists()

    response = author.post(_purge(edited, 1))

    assert response.status_code == 302 and response["Location"] == _history(edited)
    first, second = Revision.objects.filter(discussion=edited).order_by("created_at", "pk")
    assert first.purged_at is not None and first.body == "" and first.title == ""
    assert second.body == SECOND and second.purged_at is None
    entry = AuthorAction.objects.get()
    assert entry.kind == AuthorAction.Kind.PURGE_REVISION
    assert entry.actor == world.users["author"] and entry.discussion == edited and entry.revision_number == 1
    assert "cnryfirstversion" not in f"{entry.before}{entry.after}"
    html = author.get(_history(edited)).content.decode()
    assert "cnryfirstversion" not in html and "cnrysecondversion" in html
    assert "You removed the text of this version" in html
    # Numbers stay stable after a purge: version 2 is still version 2.
    assert author.post(_purge(edited, 2)).status_code == 302
    assert AuthorAction.objects.filter(revision_number=2).exists()


def test_moderators_no_longer_see_a_purged_version(world, edited):
    enable_two_factor(world.users["mod_this"])
    world.client("author").post(_purge(edited, 1))

    html = world.client("mod_this").get(f"/d/{edited.pk}/discussion/history/").content.decode()

    assert "cnryfirstversion" not in html and "cnrysecondversion" in html
    assert "Text removed by its author" in html


@pytest.mark.parametrize("viewer", ["member", "outsider", "mod_this", "staff"])
def test_nobody_but_the_author_can_purge_a_version(world, edited, viewer):
    enable_two_factor(world.users[viewer])

    response = world.client(viewer).post(_purge(edited, 1))

    assert response.status_code == 404
    assert Revision.objects.filter(body=FIRST, purged_at__isnull=True).exists()
    assert not AuthorAction.objects.exists()


@pytest.mark.parametrize("version", [0, 3, 99])
def test_a_version_that_does_not_exist_is_a_404(world, edited, version):
    assert world.client("author").post(_purge(edited, version)).status_code == 404


def test_the_reply_author_sees_and_purges_their_replys_earlier_version(world, edited_reply):
    discussion = world.posts["public"]
    history = f"/d/{discussion.pk}/replies/1/revisions/"
    purge = f"/d/{discussion.pk}/replies/1/revisions/1/purge/"
    assert "rplpublicqx" in world.client("member").get(history).content.decode()
    # Not the discussion's author, nor anyone else.
    assert world.client("author").get(history).status_code == 404
    assert world.client("author").post(purge).status_code == 404
    assert history in world.client("member").get(f"/d/{discussion.pk}/").content.decode()

    assert world.client("member").post(purge).status_code == 302

    revision = Revision.objects.get(reply=edited_reply)
    assert revision.body == "" and revision.purged_at is not None
    entry = AuthorAction.objects.get()
    assert entry.reply_id == edited_reply.pk and entry.revision_number == 1
    assert "rplpublicqx" not in world.client("member").get(history).content.decode()


def test_what_a_moderator_redacted_stays_in_the_log_for_its_retention_after_a_purge(world, edited):
    author = world.users["author"]
    services.discussion_edit(acting_user=author, discussion=edited, title=edited.title, body="call me on cnryphone")
    redaction = post_redact(acting_user=world.users["mod_this"], post=edited, span="cnryphone")
    kept_until = redaction.purge_after
    edited.refresh_from_db()
    services.discussion_edit(acting_user=author, discussion=edited, title=edited.title, body="call me later")
    redacted_version = Revision.objects.filter(discussion=edited).count()
    assert REDACTION_MARK in Revision.objects.filter(discussion=edited).latest("pk").body

    assert world.client("author").post(_purge(edited, redacted_version)).status_code == 302

    redaction = ModerationAction.objects.get(pk=redaction.pk)
    assert "cnryphone" in redaction.before["body"]
    assert redaction.purge_after == kept_until
    assert Revision.objects.filter(discussion=edited, body__contains="cnryphone").count() == 0


def test_a_reported_post_keeps_its_earlier_versions_until_a_moderator_has_reviewed_it(world, edited):
    flag_create(flagger=world.users["member"], post=edited, reason="harassment")
    author = world.client("author")

    response = author.post(_purge(edited, 1), follow=True)

    assert Revision.objects.filter(discussion=edited, body=FIRST, purged_at__isnull=True).exists()
    assert not AuthorAction.objects.exists()
    assert "kept until a moderator has reviewed it" in response.content.decode()
