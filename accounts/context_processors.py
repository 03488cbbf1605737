"""Template context for every page: the signed-in member's reading preferences."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User

TEXT_SIZE_CLASSES = {User.TextSize.LARGER: "text-larger", User.TextSize.LARGEST: "text-largest"}


def _text_size_class(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return TEXT_SIZE_CLASSES.get(getattr(user, "text_size", ""), "")


def reading_preferences(request: HttpRequest) -> dict:
    """``text_size_class`` for ``<html class>``. No query of its own: the preference is
    on the User row the session middleware already loaded; and it is worked out only
    if a template shows it."""
    return {"text_size_class": SimpleLazyObject(lambda: _text_size_class(request))}
