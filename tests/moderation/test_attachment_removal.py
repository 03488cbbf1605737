"""A moderator removes one attachment: the file goes, a tombstone stays, the author is
told, and the action is in the audit log."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from discussions import services
from moderation.models import ModerationAction, ModerationNotice
from moderation.post_actions import attachment_remove
from tests.helpers.attachments import image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def with_files(members, discussion):
    _, other = members
    reply = services.reply_create(
        author=other,
        discussion=discussion,
        body="Two pictures",
        attachments=[upload("a.png", image_bytes("PNG")), upload("b.pdf", pdf_bytes(1))],
        alt_texts=["A pharmacy receipt with a name on it", ""],
    )
    return reply


def remove_url(reply) -> str:
    return reverse("moderation:post_action", args=["reply", reply.pk, "remove-attachment"])


def test_a_moderator_removes_one_attachment_and_a_tombstone_shows_in_its_place(
    login, moderator, with_files, django_capture_on_commit_callbacks
):
    photo, pdf = with_files.attachments.order_by("position")
    storage = photo.file.storage
    stored_name = photo.file.name
    client = login(moderator)

    review = client.get(reverse("moderation:post_review", args=["reply", with_files.pk])).content.decode()
    assert "Remove this attachment" in review and photo.get_absolute_url() in review

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remove_url(with_files), {"attachment": photo.pk, "reason": "A name on a receipt"})

    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.is_removed and photo.removed_by == moderator
    assert (photo.file.name, photo.alt_text) == ("", "")
    assert not storage.exists(stored_name)
    pdf.refresh_from_db()
    assert not pdf.is_removed
    action = ModerationAction.objects.get(kind=ModerationAction.Kind.REMOVE_ATTACHMENT)
    assert (action.reply, action.actor, action.reason) == (with_files, moderator, "A name on a receipt")
    assert ModerationNotice.objects.filter(user=with_files.author, action=action).exists()
    author = Client()
    author.force_login(with_files.author)
    assert author.get(f"/d/{with_files.discussion_id}/attachments/{photo.pk}/").status_code == 404
    page = author.get(with_files.discussion.get_absolute_url()).content.decode()
    assert "An attachment was removed by moderators." in page
    assert "pharmacy receipt" not in page
    assert pdf.get_absolute_url() in page


def test_removing_it_twice_is_already_handled(login, moderator, with_files):
    photo = with_files.attachments.order_by("position").first()
    client = login(moderator)
    client.post(remove_url(with_files), {"attachment": photo.pk})

    response = client.post(remove_url(with_files), {"attachment": photo.pk}, follow=True)

    assert "Already handled" in response.content.decode()
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.REMOVE_ATTACHMENT).count() == 1


def test_an_attachment_of_another_post_is_a_form_error(login, moderator, with_files, discussion):
    other = services.reply_create(
        author=with_files.author,
        discussion=discussion,
        body="Another",
        attachments=[upload("c.png", image_bytes())],
        alt_texts=["c"],
    )
    foreign = other.attachments.get()

    response = login(moderator).post(remove_url(with_files), {"attachment": foreign.pk})

    assert response.status_code == 400
    assert "not on this post" in response.content.decode()
    foreign.refresh_from_db()
    assert not foreign.is_removed


def test_a_moderator_of_another_community_cannot_remove_it(pots_moderator, with_files):
    photo = with_files.attachments.order_by("position").first()

    with pytest.raises(PermissionDenied):
        attachment_remove(acting_user=pots_moderator, post=with_files, attachment_id=photo.pk)
    photo.refresh_from_db()
    assert not photo.is_removed


def test_a_member_cannot_remove_it(login, members, with_files):
    member, _ = members
    photo = with_files.attachments.order_by("position").first()

    response = login(member).post(remove_url(with_files), {"attachment": photo.pk})

    assert response.status_code in (403, 404)
    photo.refresh_from_db()
    assert not photo.is_removed
