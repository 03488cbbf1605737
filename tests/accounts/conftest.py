import datetime

import pytest
from django.utils import timezone

from accounts.models import ProfessionalVerification, User
from accounts.verification import verification_apply, verification_approve
from tests.helpers.uploads import APPLICATION_FIELDS
from tests.helpers.users import enable_two_factor


@pytest.fixture(autouse=True)
def _file_roots(settings, tmp_path):
    """Uploads go to throwaway folders: public media and private storage side by side."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


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
