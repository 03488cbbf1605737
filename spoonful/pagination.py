"""One way to cut a list into pages, for every paginated page of the site."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def page_of(request: HttpRequest, items: QuerySet, per_page: int) -> Page:
    """The page ``?page=`` asks for. A missing, malformed or out-of-range number gives
    the nearest real page (``get_page``); an absurdly long one is cut short first."""
    return Paginator(items, per_page).get_page(request.GET.get("page", "1")[:12])
