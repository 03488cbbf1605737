"""Attachments in the privacy matrix: viewer x state. A file is fetched only by whoever
may read its post (moderators also on the held and removed posts they review); to
everyone else it is a 404 exactly like a missing one, ids guessed under another
discussion included."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from discussions.models import Attachment, Discussion, Reply
from moderation.post_actions import post_remove
from tests.helpers.attachments import image_bytes
from tests.helpers.privacy import STATES, VIEWERS, allowed, normalised

pytestmark = pytest.mark.django_db

MATRIX = [(viewer, state) for viewer in VIEWERS for state in STATES]
REVIEWERS = ("mod_this", "staff")
MISSING = 999_999_999


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def _attach(discussion: Discussion, reply: Reply | None, alt_text: str) -> Attachment:
    attachment = Attachment(
        discussion=discussion,
        reply=reply,
        kind="image",
        content_type="image/png",
        filename="p.png",
        alt_text=alt_text,
        width=64,
        height=48,
        size=1,
    )
    attachment.file.save("p.png", ContentFile(image_bytes("PNG")), save=False)
    attachment.save()
    Discussion.objects.filter(pk=discussion.pk).update(has_attachments=True)
    return attachment


@pytest.fixture
def files(world) -> dict[str, tuple[Attachment, Attachment]]:
    """A photo on every discussion and on its reply."""
    made = {}
    for state, discussion in world.posts.items():
        reply = Reply.objects.get(discussion=discussion, number=1)
        made[state] = (_attach(discussion, None, f"alt{state}post"), _attach(discussion, reply, f"alt{state}reply"))
    return made


def may_fetch(viewer: str, state: str) -> bool:
    return allowed(viewer, state) or (viewer in REVIEWERS and state in ("held", "removed"))


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_a_file_is_served_only_to_those_who_may_read_its_post(world, files, viewer, state):
    client = world.client(viewer)
    missing = normalised(client.get(f"/d/{world.posts[state].pk}/attachments/{MISSING}/").content.decode())

    for attachment in files[state]:
        response = client.get(attachment.get_absolute_url())
        if may_fetch(viewer, state):
            assert response.status_code == 200, (viewer, state)
            assert response["Content-Type"] == "image/png"
        else:
            assert response.status_code == 404, (viewer, state)
            assert normalised(response.content.decode()) == missing


@pytest.mark.parametrize("viewer", VIEWERS)
def test_an_id_guessed_under_another_discussion_is_missing_for_everyone(world, files, viewer):
    client = world.client(viewer)
    public = world.posts["public"]

    for state in STATES:
        for attachment in files[state]:
            if attachment.discussion_id != public.pk:
                assert client.get(f"/d/{public.pk}/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_page_shows_only_files_of_posts_the_viewer_may_read(world, files, viewer):
    client = world.client(viewer)

    for state in STATES:
        html = client.get(world.posts[state].get_absolute_url()).content.decode()
        for other in STATES:
            if other != state:
                assert f"alt{other}post" not in html and f"alt{other}reply" not in html


def test_a_removed_attachment_is_gone_for_everyone_and_leaves_a_tombstone(world, files):
    post_file, _ = files["public"]
    Attachment.objects.filter(pk=post_file.pk).update(removed_at=timezone.now())

    for viewer in VIEWERS:
        assert world.client(viewer).get(post_file.get_absolute_url()).status_code == 404
    page = world.client("member").get(world.posts["public"].get_absolute_url()).content.decode()
    assert "An attachment was removed by moderators." in page
    assert "altpublicpost" not in page


def test_a_removed_reply_takes_its_file_with_it_except_for_its_moderators(world, files):
    _, reply_file = files["public"]
    post_remove(acting_user=world.users["staff"], post=reply_file.reply, reason="off topic")

    for viewer in VIEWERS:
        status = world.client(viewer).get(reply_file.get_absolute_url()).status_code
        assert status == (200 if viewer in REVIEWERS else 404), viewer


def test_a_file_response_is_never_publicly_cacheable(world, files):
    post_file, _ = files["public"]

    for viewer in ("visitor", "member"):
        response = world.client(viewer).get(post_file.get_absolute_url())
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
