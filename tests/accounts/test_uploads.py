"""Avatars and evidence are checked by decoding, not by name or claimed type."""

import io
import struct
import zlib

import pytest
from PIL import Image

from accounts.models import ProfessionalVerification, Profile
from accounts.services import profile_get_or_create
from tests.helpers.uploads import APPLICATION_FIELDS, PDF_BYTES, jpeg_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

AVATAR_URL = "/settings/avatar/"


def _huge_png(width: int, height: int) -> bytes:
    """A tiny file that claims enormous dimensions (a decompression bomb)."""
    row = b"\x00" + b"\x00" * width
    compressed = zlib.compress(row * 4)  # only a few rows of data: decoding must never get that far

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", compressed) + chunk(b"IEND", b"")


def _post_avatar(client, content: bytes, name: str = "me.png", content_type: str = "image/png"):
    return client.post(AVATAR_URL, {"avatar_kind": "upload", "image": upload(name, content, content_type)})


def test_a_valid_image_becomes_a_small_re_encoded_avatar_with_a_random_name(client, member, settings):
    client.force_login(member)
    response = _post_avatar(client, png_bytes(size=(1200, 900)), name="holiday-in-leeds.png")
    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert profile.avatar_kind == Profile.AvatarKind.UPLOAD
    assert "leeds" not in profile.avatar.name
    stored = Image.open(profile.avatar.path)
    assert max(stored.size) == 512
    served = client.get(f"/u/{member.username}/avatar/")
    assert served.status_code == 200
    assert served["Content-Type"] in ("image/jpeg", "image/png")
    assert served["X-Content-Type-Options"] == "nosniff"


def test_metadata_is_stripped_from_uploaded_avatars(client, member):
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    client.force_login(member)
    _post_avatar(client, jpeg_bytes(exif=exif.tobytes()), name="me.jpg", content_type="image/jpeg")
    profile = Profile.objects.get(user=member)
    with open(profile.avatar.path, "rb") as handle:
        data = handle.read()
    assert b"SecretCameraMaker" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


@pytest.mark.parametrize(
    ("content", "name", "content_type", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "cat.png", "image/png", "not an image we can read"),
        (PDF_BYTES, "me.png", "image/png", "not an image we can read"),
        (b"GIF89a" + b"\x00" * 20, "broken.gif", "image/gif", "not an image we can read"),
        (_huge_png(50000, 50000), "bomb.png", "image/png", "too many pixels"),
        (_huge_png(5000, 300), "wide.png", "image/png", "the largest allowed is 4096 x 4096"),
        (b"\x89PNG" + b"\x00" * (2 * 1024 * 1024 + 10), "big.png", "image/png", "too big"),
    ],
    ids=["html-renamed-png", "pdf-as-png", "truncated-gif", "decompression-bomb", "too-wide", "oversize"],
)
def test_bad_avatar_uploads_are_refused_with_a_clear_message(client, member, content, name, content_type, message):
    client.force_login(member)
    response = _post_avatar(client, content, name=name, content_type=content_type)
    assert response.status_code == 400
    assert message in response.content.decode()
    profile = profile_get_or_create(member)
    assert profile.avatar_kind == Profile.AvatarKind.INITIALS
    assert not profile.avatar


def test_choosing_upload_without_a_file_explains_what_to_do(client, member):
    client.force_login(member)
    response = client.post(AVATAR_URL, {"avatar_kind": "upload"})
    assert response.status_code == 400
    assert "Please choose an image" in response.content.decode()


def test_going_back_to_initials_deletes_the_uploaded_file(client, member):
    client.force_login(member)
    _post_avatar(client, png_bytes())
    profile = Profile.objects.get(user=member)
    path = profile.avatar.path
    client.post(AVATAR_URL, {"avatar_kind": "initials"})
    profile.refresh_from_db()
    assert profile.avatar_kind == Profile.AvatarKind.INITIALS
    assert not profile.avatar
    import os

    assert not os.path.exists(path)
    assert client.get(f"/u/{member.username}/avatar/").status_code == 404


def test_transparent_images_stay_png(client, member):
    client.force_login(member)
    _post_avatar(client, png_bytes(mode="RGBA", colour=(0, 0, 0, 0)))
    assert Profile.objects.get(user=member).avatar.name.endswith(".png")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html>not a licence</html>", "licence.pdf", "is not a PDF, PNG or JPEG"),
        (b"MZ\x90\x00executable", "licence.png", "is not a PDF, PNG or JPEG"),
        (b"%PDF-" + b"0" * (5 * 1024 * 1024), "huge.pdf", "too big"),
    ],
    ids=["html-as-pdf", "exe-as-png", "oversize"],
)
def test_bad_evidence_is_refused_and_the_typed_answers_are_kept(client, clinician, content, name, message):
    client.force_login(clinician)
    response = client.post(
        "/settings/verification/",
        {"action": "apply", **APPLICATION_FIELDS, "evidence": upload(name, content, "application/pdf")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "GMC-7654321" in page
    assert "General Medical Council" in page
    assert not ProfessionalVerification.objects.exists()


def test_image_evidence_is_re_encoded(clinician, make_application):
    application = make_application(clinician, evidence=[upload("scan.png", png_bytes(size=(300, 200)))])
    evidence = application.evidence.get()
    assert evidence.content_type == "image/png"
    assert Image.open(evidence.file.path).size == (300, 200)


def test_more_than_three_evidence_files_are_refused(client, clinician):
    client.force_login(clinician)
    files = [upload(f"f{n}.pdf", PDF_BYTES, "application/pdf") for n in range(4)]
    response = client.post("/settings/verification/", {"action": "apply", **APPLICATION_FIELDS, "evidence": files})
    assert response.status_code == 400
    assert "at most 3 files" in response.content.decode()
