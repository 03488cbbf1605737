"""Template context for every page: the signed-in member's reading preferences (text
size, low-energy mode), for staff the count of verifications waiting, and whether they are a
verified clinician (for the settings menu)."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User
from accounts.selectors import is_low_energy, is_site_staff, is_verified_professional, verification_waiting_count

TEXT_SIZE_CLASSES = {User.TextSize.LARGER: "text-larger", User.TextSize.LARGEST: "text-largest"}


def _text_size_class(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return TEXT_SIZE_CLASSES.get(getattr(user, "text_size", ""), "")


def reading_preferences(request: HttpRequest) -> dict:
    """``text_size_class`` for ``<html class>`` and ``low_energy`` (the ``low-energy``
    class on ``<body>`` and the header toggle). No query of their own: the preferences
    are on the User row the session middleware already loaded; and they are worked out
    only if a template shows them."""
    return {
        "text_size_class": SimpleLazyObject(lambda: _text_size_class(request)),
        "low_energy": SimpleLazyObject(lambda: is_low_energy(getattr(request, "user", None))),
    }


def staff_tasks(request: HttpRequest) -> dict:
    """``verifications_waiting`` for the header's Verifications link: one count query,
    made only for staff and only when a page renders it (None for everyone else)."""

    def waiting() -> int | None:
        user = getattr(request, "user", None)
        if user is None or not is_site_staff(user):
            return None
        return verification_waiting_count()

    return {"verifications_waiting": SimpleLazyObject(waiting)}


def professional(request: HttpRequest) -> dict:
    """``verified_clinician``: whether to offer the "Waiting for a professional" list. A query,
    so it is asked only where a template names it (the settings menu), not on every page."""
    return {"verified_clinician": SimpleLazyObject(lambda: is_verified_professional(getattr(request, "user", None)))}
