"""Files for the attachment tests: photos carrying metadata, crafted images, PDFs."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

CAMERA_SERIAL = "SN-CANARY-778899"
XMP_CANARY = "xmpcanaryhomeaddress"
PDF_AUTHOR = "Pdfauthor Canaryname"
SCRIPT_PAYLOAD = b"<html><script>alert('polyglot-canary')</script></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="4"/></svg>'


def photo_with_location(size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG with GPS coordinates, a camera serial number and an XMP packet."""
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"  # Make
    exif[0x0110] = "Model 7"
    exif[0xA431] = CAMERA_SERIAL  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{XMP_CANARY}</rdf:Description></x:xmpmeta>'
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(buffer, format="JPEG", exif=exif.tobytes(), xmp=xmp.encode())
    return buffer.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 1).save(buffer, format=fmt)
    return buffer.getvalue()


def decompression_bomb() -> bytes:
    """A small file that claims 49 million pixels."""
    return image_bytes("PNG", size=(7000, 7000), mode="1")


def pdf_bytes(pages: int = 2, *, author: str = PDF_AUTHOR) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": author, "/Title": "Blood results"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
