import datetime
import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import ProfessionalVerification, User
from accounts.services import verification_apply, verification_approve
from tests.conftest import PASSWORD  # noqa: F401 (re-exported for tests)


@pytest.fixture(autouse=True)
def _file_roots(settings, tmp_path):
    """Uploads go to throwaway folders: public media and private storage side by side."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def enable_two_factor(user: User) -> Authenticator:
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "test-only"})


@pytest.fixture
def staff(user_factory) -> User:
    user = user_factory("sam_staff", display_name="Sam (staff)", is_staff=True)
    enable_two_factor(user)
    return user


@pytest.fixture
def staff_without_2fa(user_factory) -> User:
    return user_factory("tess_staff", display_name="Tess (staff)", is_staff=True)


@pytest.fixture
def clinician(user_factory) -> User:
    return user_factory("drlee", display_name="Dr Lee")


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


@pytest.fixture
def make_application():
    def make(applicant: User, *, evidence=(), **overrides) -> ProfessionalVerification:
        return verification_apply(applicant=applicant, evidence=evidence, **{**APPLICATION_FIELDS, **overrides})

    return make


@pytest.fixture
def make_verified(staff, make_application):
    def make(user: User, **overrides) -> User:
        application = make_application(user, **overrides)
        verification_approve(
            acting_user=staff, application=application, expires_at=timezone.now() + datetime.timedelta(days=365)
        )
        return user

    return make


@pytest.fixture
def verified_clinician(clinician, make_verified) -> User:
    return make_verified(clinician)
