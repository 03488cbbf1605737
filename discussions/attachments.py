"""Photos and PDFs attached to posts: checking what was uploaded, storing it, and
deleting the files when a post or account goes.

A file's name and the browser's content type are chosen by the uploader, so the type
is decided by decoding: Pillow for JPEG, PNG and WebP, pypdf for PDF; anything else
(SVG, HTML, a zip) is refused. Images are decoded to pixels and re-encoded from those
pixels alone, so EXIF (GPS, camera serials), XMP and anything appended after the image
data stay behind. PDFs are rewritten page by page, which leaves out the document's
metadata (author, software) and document-level scripts; they are only ever served as
downloads (``discussions.attachment_views``).

``attachments_checked`` runs before the post's transaction (a refusal costs nothing);
``attachments_save`` runs inside it, so a post and its files appear together.
"""

import io
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from discussions.models import Attachment, Discussion, Reply
from spoonful import jobs

MAX_ATTACHMENTS = 4
IMAGE_MAX_BYTES = 10 * 1024 * 1024
# Checked from the header before any pixel is decoded: a small file can claim a huge canvas.
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_MAX_SIDE = 12_000
IMAGE_OUTPUT_SIDE = 2048
PDF_MAX_BYTES = 10 * 1024 * 1024
PDF_MAX_PAGES = 50
ALT_TEXT_MAX = 500
FILENAME_MAX = 100

# Pillow format -> (content type, Pillow format to write).
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
CHOOSE_AGAIN = "Files are not kept when a post comes back with a problem: please choose them again."


@dataclass(frozen=True)
class CheckedAttachment:
    """An upload that passed every check, as it will be stored."""

    content: bytes
    kind: str
    content_type: str
    filename: str
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    pages: int | None = None


def clean_filename(name: str) -> str:
    """The member's file name, safe for a Content-Disposition header and a link text:
    no path, no control or quote characters, at most 100 characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"';<>`]+", "", name).strip(" .")
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: FILENAME_MAX - len(extension) - 1]}.{extension}" if dot else name[:FILENAME_MAX]
    return name or "file"


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


def _read_limited(upload: UploadedFile, limit: int, label: str) -> bytes:
    too_big = ValidationError(f"{label} is too big: the limit is {_megabytes(limit)}.", code="too_big")
    if upload.size is not None and upload.size > limit:
        raise too_big
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_big
    return data


def _checked_image(data: bytes, label: str) -> tuple[Image.Image, str]:
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is a refusal here, not a log line.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in IMAGE_FORMATS:
                raise UnidentifiedImageError(image.format)
            width, height = image.size
            if width * height > IMAGE_MAX_PIXELS or max(width, height) > IMAGE_MAX_SIDE:
                raise ValidationError(
                    f"{label} is {width} x {height} pixels, more than we can safely process "
                    f"(at most {IMAGE_MAX_PIXELS // 1_000_000} million pixels).",
                    code="too_large",
                )
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(f"{label} has too many pixels to process.", code="too_large") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(
            f"{label} is not a photo or PDF we can read. We accept JPEG, PNG and WebP photos and PDF documents.",
            code="invalid_type",
        ) from error
    return image, image.format


def _reencoded_image(image: Image.Image, source_format: str) -> tuple[bytes, int, int]:
    """Pixels only: a new image made from the decoded pixels carries no EXIF, XMP,
    comments or trailing bytes, whatever Pillow would otherwise copy across."""
    image = ImageOps.exif_transpose(image)
    image.thumbnail((IMAGE_OUTPUT_SIDE, IMAGE_OUTPUT_SIDE))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha and source_format != "JPEG" else "RGB"
    converted = image.convert(mode)
    clean = Image.frombytes(mode, converted.size, converted.tobytes())
    output = io.BytesIO()
    if source_format == "PNG":
        clean.save(output, format="PNG", optimize=True)
    elif source_format == "WEBP":
        clean.save(output, format="WEBP", quality=85)
    else:
        clean.save(output, format="JPEG", quality=85, optimize=True)
    return output.getvalue(), clean.width, clean.height


def _rewritten_pdf(data: bytes, label: str) -> tuple[bytes, int]:
    unreadable = ValidationError(f"{label} is a PDF we cannot read. Please save it again as a PDF.", code="invalid_pdf")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError(f"{label} is password-protected; please attach a copy without a password.")
        pages = len(reader.pages)
        if pages == 0:
            raise unreadable
        if pages > PDF_MAX_PAGES:
            raise ValidationError(f"{label} has {pages} pages; the limit is {PDF_MAX_PAGES}.", code="too_many_pages")
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        output = io.BytesIO()
        writer.write(output)
    except ValidationError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise unreadable from error
    content = output.getvalue()
    if len(content) > PDF_MAX_BYTES:
        raise ValidationError(f"{label} is too big: the limit is {_megabytes(PDF_MAX_BYTES)}.", code="too_big")
    return content, pages


def attachment_check(upload: UploadedFile, *, alt_text: str, label: str) -> CheckedAttachment:
    """One upload checked by its content. ``label`` names it in messages ("photo.jpg")."""
    alt_text = " ".join((alt_text or "").split())
    data = _read_limited(upload, max(IMAGE_MAX_BYTES, PDF_MAX_BYTES), label)
    filename = clean_filename(upload.name or "")
    is_pdf = data.startswith(b"%PDF-")
    limit = PDF_MAX_BYTES if is_pdf else IMAGE_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(f"{label} is too big: the limit is {_megabytes(limit)}.", code="too_big")
    if is_pdf:
        content, pages = _rewritten_pdf(data, label)
        return CheckedAttachment(
            content=content,
            kind=Attachment.Kind.PDF,
            content_type="application/pdf",
            filename=filename,
            alt_text=alt_text[:ALT_TEXT_MAX],
            pages=pages,
        )
    image, source_format = _checked_image(data, label)
    if not alt_text:
        raise ValidationError(
            f"Please describe {label} in its text box, for members who cannot see it.", code="alt_required"
        )
    if len(alt_text) > ALT_TEXT_MAX:
        raise ValidationError(f"The description of {label} is too long: at most {ALT_TEXT_MAX} characters.")
    content, width, height = _reencoded_image(image, source_format)
    return CheckedAttachment(
        content=content,
        kind=Attachment.Kind.IMAGE,
        content_type=IMAGE_FORMATS[source_format],
        filename=filename,
        alt_text=alt_text,
        width=width,
        height=height,
    )


def attachments_checked(uploads: list[UploadedFile], alt_texts: list[str]) -> list[CheckedAttachment]:
    """Every upload of one post, checked; the i-th file goes with the i-th description.

    Raises one ValidationError on the ``attachments`` field listing every problem, so the
    member fixes them all at once (and is told to choose the files again).
    """
    if not uploads:
        if any((text or "").strip() for text in alt_texts):
            raise ValidationError({"attachments": "A description was typed but no file was chosen. " + CHOOSE_AGAIN})
        return []
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": f"A post can have at most {MAX_ATTACHMENTS} attachments. " + CHOOSE_AGAIN}
        )
    checked, problems = [], []
    for index, upload in enumerate(uploads):
        alt_text = alt_texts[index] if index < len(alt_texts) else ""
        label = f"“{clean_filename(upload.name or '')}”"
        try:
            checked.append(attachment_check(upload, alt_text=alt_text, label=label))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError({"attachments": [*problems, CHOOSE_AGAIN]})
    return checked


def attachments_save(*, post: Discussion | Reply, checked: list[CheckedAttachment]) -> list[Attachment]:
    """Store the checked files of a post being created (inside its transaction)."""
    discussion = post if isinstance(post, Discussion) else post.discussion
    if checked and not discussion.has_attachments:
        Discussion.objects.filter(pk=discussion.pk).update(has_attachments=True)
        discussion.has_attachments = True
    saved = []
    for position, item in enumerate(checked):
        attachment = Attachment(
            discussion=discussion,
            reply=post if isinstance(post, Reply) else None,
            position=position,
            kind=item.kind,
            content_type=item.content_type,
            filename=item.filename,
            alt_text=item.alt_text,
            width=item.width,
            height=item.height,
            pages=item.pages,
            size=len(item.content),
        )
        attachment.file.save(attachment_upload_name(attachment), ContentFile(item.content), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def attachment_upload_name(attachment: Attachment) -> str:
    # upload_to replaces it with a random name; this only carries the extension.
    return f"upload.{attachment.extension}"


def attachment_files_delete(names: list[str]) -> None:
    """A job: delete stored files whose rows are gone or tombstoned. Idempotent."""
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if name:
            storage.delete(name)


def attachment_files_delete_later(attachments: Iterable[Attachment]) -> None:
    """Queue deleting these attachments' files once the current transaction commits,
    so a rolled-back deletion never loses a file that is still shown."""
    names = [attachment.file.name for attachment in attachments if attachment.file]
    if names:
        jobs.enqueue(attachment_files_delete, names)


def attachments_of_posts(*, discussion_ids: Iterable[int] = (), reply_ids: Iterable[int] = ()) -> QuerySet[Attachment]:
    """The attachments of these posts: a discussion's own (not its replies') and the replies'."""
    return Attachment.objects.filter(
        Q(discussion_id__in=list(discussion_ids), reply__isnull=True) | Q(reply_id__in=list(reply_ids))
    )


def attachments_delete(attachments: QuerySet[Attachment]) -> int:
    """Delete these attachments: the rows now, the files once the caller's transaction
    commits. For posts their author deleted, tombstones past retention, and erased
    accounts; returns how many."""
    rows = list(attachments)
    attachment_files_delete_later(rows)
    Attachment.objects.filter(pk__in=[attachment.pk for attachment in rows]).delete()
    return len(rows)
