from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.selectors import is_moderator_anywhere


def moderation(request: HttpRequest) -> dict:
    """Whether to show the Moderation link; asked only when a page renders it."""
    return {"moderates_anything": SimpleLazyObject(lambda: is_moderator_anywhere(request.user))}
