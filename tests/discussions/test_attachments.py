"""Photos and PDFs on posts: what is kept of an upload, what is refused and how the
form comes back, and how the file is served."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import InMemoryStorage, storages
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from accounts.account_deletion import account_delete
from accounts.data_export import data_export_contents
from accounts.models import PrivateFileStorage
from discussions import services
from discussions.attachments import CHOOSE_AGAIN, MAX_ATTACHMENTS, attachments_checked
from discussions.models import Attachment, Discussion, Visibility, attachment_storage
from discussions.retention import tombstone_purge_expired
from tests.helpers.attachments import (
    CAMERA_SERIAL,
    PDF_AUTHOR,
    SCRIPT_PAYLOAD,
    SVG_BYTES,
    XMP_CANARY,
    decompression_bomb,
    image_bytes,
    pdf_bytes,
    photo_with_location,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


def new_discussion(**overrides) -> dict:
    data = {
        "title": "My pill organiser",
        "body": "This is how I sort a week of tablets.",
        "hashtags": "#mecfs",
        "visibility": "members",
        "content_warning": "",
        "submission_token": "attach-1",
    }
    data.update(overrides)
    return data


def served(client: Client, attachment: Attachment) -> bytes:
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# --- What is kept of an image -----------------------------------------------------------


def test_a_photo_with_gps_exif_and_xmp_comes_out_with_none(as_member, mecfs):
    response = as_member.post(
        "/d/new/",
        new_discussion(
            attachments=[upload("IMG_0042.jpg", photo_with_location(), "image/jpeg")], alt_text=["A pill box"]
        ),
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.content_type, attachment.alt_text) == ("image", "image/jpeg", "A pill box")
    assert (attachment.width, attachment.height) == (640, 480)
    data = served(as_member, attachment)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert "xmp" not in image.info and "exif" not in image.info
    for canary in (CAMERA_SERIAL.encode(), XMP_CANARY.encode(), b"CanaryCam", b"Exif"):
        assert canary not in data
    # The stored name is random: nothing of what the member called the file.
    assert "IMG_0042" not in attachment.file.name


def test_a_large_photo_is_scaled_down_to_2048_pixels_on_the_long_side(member, start):
    discussion = start(attachments=[upload("big.png", image_bytes("PNG", size=(4096, 1024)))], alt_texts=["Wide"])

    attachment = discussion.attachments.get()
    assert (attachment.width, attachment.height) == (2048, 512)
    assert attachment.content_type == "image/png"


def test_webp_stays_webp_and_keeps_no_metadata(member, start):
    discussion = start(attachments=[upload("a.webp", image_bytes("WEBP"))], alt_texts=["Red square"])

    attachment = discussion.attachments.get()
    assert attachment.content_type == "image/webp"
    assert Image.open(attachment.file.open("rb")).format == "WEBP"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cat.jpg", image_bytes("JPEG") + SCRIPT_PAYLOAD),
        ("cat.png", image_bytes("PNG") + b"PK\x03\x04\x14\x00\x00\x00" + SCRIPT_PAYLOAD),
    ],
)
def test_a_polyglot_is_re_encoded_so_the_served_bytes_are_only_the_picture(as_member, mecfs, name, content):
    response = as_member.post("/d/new/", new_discussion(attachments=[upload(name, content)], alt_text=["A cat"]))

    assert response.status_code == 302
    data = served(as_member, Attachment.objects.get())
    assert b"polyglot-canary" not in data and b"<script" not in data and b"PK\x03\x04" not in data


# --- Refusals: a clear message, the typed text kept -------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("drawing.svg", SVG_BYTES, "not a photo or PDF we can read"),
        ("page.html", SCRIPT_PAYLOAD, "not a photo or PDF we can read"),
        ("bomb.png", decompression_bomb(), "more than we can safely process"),
        ("long.pdf", pdf_bytes(51), "has 51 pages; the limit is 50"),
        ("broken.pdf", b"%PDF-1.7\nnot really a pdf", "a PDF we cannot read"),
        ("nodesc.png", image_bytes("PNG"), "Please describe"),
    ],
)
def test_a_crafted_or_unsuitable_file_is_refused_with_a_clear_message_and_the_text_is_kept(
    as_member, mecfs, name, content, message
):
    alt_text = "" if name == "nodesc.png" else "Typed description"
    response = as_member.post(
        "/d/new/",
        new_discussion(
            title="Typed title stays", body="Typed body stays", attachments=[upload(name, content)], alt_text=[alt_text]
        ),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "please choose them again" in page
    assert "Typed title stays" in page and "Typed body stays" in page
    if alt_text:
        assert 'value="Typed description"' in page
    assert not Discussion.objects.exists()
    assert not Attachment.objects.exists()


def test_an_oversized_upload_is_refused_before_decoding(settings, monkeypatch):
    monkeypatch.setattr("discussions.attachments.IMAGE_MAX_BYTES", 100)
    monkeypatch.setattr("discussions.attachments.PDF_MAX_BYTES", 100)

    with pytest.raises(Exception) as refused:
        attachments_checked([upload("a.png", image_bytes("PNG", size=(300, 300)))], ["A"])

    assert "too big" in str(refused.value)


def test_more_than_four_files_are_refused(as_member, mecfs):
    files = [upload(f"{n}.png", image_bytes("PNG")) for n in range(MAX_ATTACHMENTS + 1)]

    response = as_member.post("/d/new/", new_discussion(attachments=files, alt_text=["x"] * len(files)))

    assert response.status_code == 400
    assert f"at most {MAX_ATTACHMENTS} attachments" in response.content.decode()
    assert CHOOSE_AGAIN in response.content.decode()


def test_a_reply_with_a_refused_file_keeps_the_reply_text(as_member, member, start):
    discussion = start(visibility=Visibility.MEMBERS)

    response = as_member.post(
        f"/d/{discussion.pk}/reply/",
        {
            "body": "My typed reply",
            "submission_token": "r1",
            "attachments": [upload("x.svg", SVG_BYTES)],
            "alt_text": ["d"],
        },
    )

    assert response.status_code == 400
    assert "My typed reply" in response.content.decode()
    assert "not a photo or PDF" in response.content.decode()
    assert not discussion.replies.exists()


# --- PDFs ----------------------------------------------------------------------------


def test_a_pdf_is_rewritten_without_its_metadata_and_served_as_a_download(as_member, member, start):
    discussion = start(visibility=Visibility.MEMBERS)

    response = as_member.post(
        f"/d/{discussion.pk}/reply/",
        {
            "body": "My latest results",
            "submission_token": "r2",
            "attachments": [upload('results "march".pdf', pdf_bytes(3), "application/pdf")],
            "alt_text": [""],
        },
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.pages, attachment.reply.body) == ("pdf", 3, "My latest results")
    assert attachment.discussion_id == discussion.pk
    file_response = as_member.get(attachment.get_absolute_url())
    assert file_response["Content-Disposition"].startswith("attachment;")
    assert "results march.pdf" in file_response["Content-Disposition"]
    data = b"".join(file_response.streaming_content)
    assert PDF_AUTHOR.encode() not in data
    assert len(PdfReader(io.BytesIO(data)).pages) == 3
    page = as_member.get(discussion.get_absolute_url()).content.decode()
    assert "(PDF, 3 pages," in page


# --- How it is served and shown --------------------------------------------------------


def test_an_image_is_served_inline_with_strict_headers(as_member, start):
    discussion = start(attachments=[upload("p.png", image_bytes("PNG"))], alt_texts=["Red square"])
    attachment = discussion.attachments.get()

    response = as_member.get(attachment.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "private" in response["Cache-Control"]


def test_the_page_shows_the_image_with_its_alt_text_size_and_lazy_loading(as_member, start):
    discussion = start(attachments=[upload("p.png", image_bytes("PNG"))], alt_texts=["A red & square"])
    attachment = discussion.attachments.get()

    page = as_member.get(discussion.get_absolute_url()).content.decode()

    assert (
        f'src="{attachment.get_absolute_url()}" alt="A red &amp; square" width="64" height="48" loading="lazy"' in page
    )
    assert "/media/" not in page


def test_behind_a_content_warning_the_image_is_folded_with_the_text(as_member, start):
    discussion = start(
        content_warning="wound photo", attachments=[upload("p.png", image_bytes("PNG"))], alt_texts=["A dressing"]
    )

    page = as_member.get(discussion.get_absolute_url()).content.decode()

    fold = page.split('<details class="content-warning">', 1)[1].split("</details>", 1)[0]
    assert 'alt="A dressing"' in fold
    assert page.count('alt="A dressing"') == 1


def test_lists_and_search_never_show_attachments(client, start):
    discussion = start(attachments=[upload("p.png", image_bytes("PNG"))], alt_texts=["Red square"])
    attachment = discussion.attachments.get()

    home = client.get("/").content.decode()

    assert attachment.get_absolute_url() not in home


def test_a_reply_image_appears_in_the_catch_up_fragment(as_member, member, other_member, start):
    discussion = start(visibility=Visibility.MEMBERS)
    reply = services.reply_create(
        author=other_member,
        discussion=discussion,
        body="Here is mine",
        attachments=[upload("mine.jpg", image_bytes("JPEG"))],
        alt_texts=["My organiser"],
    )

    html = as_member.get(f"/d/{discussion.pk}/replies/?after=0").content.decode()

    assert reply.attachments.get().get_absolute_url() in html
    assert 'alt="My organiser"' in html


def test_a_description_for_a_missing_file_is_pointed_out(as_member, mecfs):
    response = as_member.post("/d/new/", new_discussion(alt_text=["A photo I forgot to choose"]))

    assert response.status_code == 400
    assert "no file was chosen" in response.content.decode()


# --- Deletion, erasure, export, retention ------------------------------------------------


def test_deleting_a_post_deletes_its_files(member, other_member, start, django_capture_on_commit_callbacks):
    discussion = start(attachments=[upload("p.png", image_bytes("PNG"))], alt_texts=["Mine"])
    reply = services.reply_create(
        author=other_member,
        discussion=discussion,
        body="Theirs",
        attachments=[upload("q.png", image_bytes())],
        alt_texts=["Theirs"],
    )
    own, theirs = discussion.attachments.get(reply=None), reply.attachments.get()
    storage = own.file.storage

    with django_capture_on_commit_callbacks(execute=True):
        services.reply_delete_by_author(acting_user=other_member, reply=reply)
    assert not storage.exists(theirs.file.name)
    assert storage.exists(own.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        services.discussion_delete_by_author(acting_user=member, discussion=discussion)
    assert not storage.exists(own.file.name)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("posts", "kept"), [("delete", False), ("anonymise", True)])
def test_erasing_an_account_deletes_files_only_when_the_posts_are_deleted(
    member, start, posts, kept, django_capture_on_commit_callbacks
):
    discussion = start(attachments=[upload("p.png", image_bytes("PNG"))], alt_texts=["Mine"])
    attachment = discussion.attachments.get()
    storage, name = attachment.file.storage, attachment.file.name

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=member, posts=posts)

    assert storage.exists(name) is kept
    assert Attachment.objects.filter(pk=attachment.pk).exists() is kept


def test_the_export_lists_attachments_with_alt_text_and_where_to_get_them(member, start):
    discussion = start(
        attachments=[upload("p.png", image_bytes("PNG")), upload("r.pdf", pdf_bytes(2))], alt_texts=["Mine", ""]
    )
    reply = services.reply_create(
        author=member,
        discussion=discussion,
        body="More",
        attachments=[upload("q.png", image_bytes())],
        alt_texts=["Another"],
    )

    contents = data_export_contents(member)

    exported = contents["discussions"][0]["attachments"]
    assert [(a["kind"], a["alt_text"], a.get("pages")) for a in exported] == [("image", "Mine", None), ("pdf", "", 2)]
    assert exported[0]["url"] == discussion.attachments.get(position=0, reply=None).get_absolute_url()
    assert contents["replies"][0]["attachments"][0]["url"] == reply.attachments.get().get_absolute_url()


def test_retention_deletes_the_files_of_an_expired_tombstone(member, start, django_capture_on_commit_callbacks):
    discussion = start(attachments=[upload("p.png", image_bytes("PNG"))], alt_texts=["Mine"])
    attachment = discussion.attachments.get()
    storage, name = attachment.file.storage, attachment.file.name
    # Removed by moderators: the files are kept for review, until the tombstone expires.
    removed_long_ago = timezone.now() - timedelta(days=400)
    Discussion.objects.filter(pk=discussion.pk).update(status=Discussion.Status.REMOVED, tombstoned_at=removed_long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        tombstone_purge_expired()

    assert not storage.exists(name)
    assert not Attachment.objects.exists()


def test_an_attachments_entry_in_storages_replaces_local_private_disk(settings, tmp_path):
    # The field's storage is chosen once, when models load, from the settings of that moment.
    assert isinstance(attachment_storage(), PrivateFileStorage)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": None},
        },
    }

    assert attachment_storage() is storages["attachments"]
    assert isinstance(attachment_storage(), InMemoryStorage)


def test_when_the_form_comes_back_for_another_reason_it_asks_for_the_files_again(as_member, mecfs):
    response = as_member.post(
        "/d/new/",
        new_discussion(title="", attachments=[upload("p.png", image_bytes("PNG"))], alt_text=["Red square"]),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "were not kept when the form came back: please choose them again" in page
    assert 'value="Red square"' in page
    assert not Attachment.objects.exists()
