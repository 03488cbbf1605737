"""Checking uploaded files by what they are, not by what they claim to be.

A file's name and the browser's content type are chosen by the uploader, so the
type is decided by decoding: Pillow for images, the header for PDFs. Images are
re-encoded, which drops metadata (EXIF location, camera serials) and anything
smuggled after the image data.
"""

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_SIDE = 4096
AVATAR_OUTPUT_SIDE = 512
AVATAR_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}

EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_MAX_FILES = 3
EVIDENCE_MAX_SIDE = 10000
EVIDENCE_IMAGE_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    extension: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _open_image(data: bytes, *, max_side: int, what: str) -> Image.Image:
    """Open and decode an image, refusing oversized dimensions before decoding pixels."""
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is an error here, not a log line.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width > max_side or height > max_side:
                raise ValidationError(
                    f"That {what} is {width} x {height} pixels; the largest allowed is {max_side} x {max_side}.",
                    code="too_large",
                )
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(f"That {what} has too many pixels to process.", code="too_large") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(
            f"That file is not an image we can read. Please choose a PNG, JPEG, GIF or WebP {what}.",
            code="invalid_image",
        ) from error
    return image


def process_avatar(upload: UploadedFile) -> CheckedFile:
    """A square-ish avatar at most 512 px, re-encoded as PNG (with transparency) or JPEG."""
    if upload.size is None or upload.size > AVATAR_MAX_BYTES:
        raise ValidationError(f"That image is too big: the limit is {_megabytes(AVATAR_MAX_BYTES)}.", code="too_big")
    data = upload.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise ValidationError(f"That image is too big: the limit is {_megabytes(AVATAR_MAX_BYTES)}.", code="too_big")
    image = _open_image(data, max_side=AVATAR_MAX_SIDE, what="image")
    if image.format not in AVATAR_FORMATS:
        raise ValidationError("Please choose a PNG, JPEG, GIF or WebP image.", code="invalid_image")
    image = ImageOps.exif_transpose(image)
    image.thumbnail((AVATAR_OUTPUT_SIDE, AVATAR_OUTPUT_SIDE))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    output = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(output, format="PNG", optimize=True)
        return CheckedFile(output.getvalue(), "image/png", "png")
    image.convert("RGB").save(output, format="JPEG", quality=85)
    return CheckedFile(output.getvalue(), "image/jpeg", "jpg")


def check_evidence(upload: UploadedFile) -> CheckedFile:
    """A PDF, PNG or JPEG of at most 5 MB. Images are re-encoded; PDFs are kept as sent
    (staff download them as attachments, never displayed inline)."""
    if upload.size is None or upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            f"{upload.name} is too big: each file may be up to {_megabytes(EVIDENCE_MAX_BYTES)}.", code="too_big"
        )
    data = upload.read(EVIDENCE_MAX_BYTES + 1)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            f"{upload.name} is too big: each file may be up to {_megabytes(EVIDENCE_MAX_BYTES)}.", code="too_big"
        )
    if data.startswith(b"%PDF-"):
        return CheckedFile(data, "application/pdf", "pdf")
    try:
        image = _open_image(data, max_side=EVIDENCE_MAX_SIDE, what="image")
    except ValidationError as error:
        if error.code == "invalid_image":
            raise ValidationError(
                f"{upload.name} is not a PDF, PNG or JPEG file we can read.", code="invalid_type"
            ) from error
        raise
    if image.format not in EVIDENCE_IMAGE_FORMATS:
        raise ValidationError(f"{upload.name} is not a PDF, PNG or JPEG file.", code="invalid_type")
    content_type, extension = EVIDENCE_IMAGE_FORMATS[image.format]
    image = ImageOps.exif_transpose(image)
    output = io.BytesIO()
    if extension == "png":
        image.save(output, format="PNG")
    else:
        image.convert("RGB").save(output, format="JPEG", quality=90)
    return CheckedFile(output.getvalue(), content_type, extension)
