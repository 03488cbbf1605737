"""Files a member uploads (pictures, evidence) and a professional's application."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import ProfessionalVerification


def png_bytes(size=(64, 48), mode="RGB", colour=(200, 30, 30), **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format="PNG", **save_options)
    return buffer.getvalue()


def jpeg_bytes(size=(64, 48), exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    options = {"exif": exif} if exif else {}
    Image.new("RGB", size, (10, 120, 60)).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

APPLICATION_FIELDS = {
    "profession": ProfessionalVerification.Profession.PHYSICIAN,
    "speciality": "Rheumatology",
    "licence_number": "GMC-7654321",
    "issuing_body": "General Medical Council",
    "country": "UK",
    "region": "Scotland",
    "register_url": "https://www.gmc-uk.org/registrants/7654321",
}
