"""A public discussion's page as every signed-out visitor sees it, kept for a short while.

Visitors share one audience: with no account, no cookie the page reads and no query
string, two visitors get the same bytes. So the whole page is kept in the cache, and a
visitor's request is the access check (the one visibility rule, asked afresh each time, so
a discussion taken out of public view stops being served at once) and one cache round trip.

The page is kept with the generations it was made in, read in that same round trip:

- the discussion's own, raised with every change a live socket hears of (``discussions.events``:
  replies posted, edited, held, hidden, removed or restored, reactions, a lock, an edit, an
  audience or a community change, an author's account deleted), once when the change is made
  and again once it commits, so a page rendered from the rows before the commit is kept
  under the old generation and never served after it;
- everyone's, raised when what posts show of their authors changes (a display name, a
  clinician's badge granted, revoked or expired by ``verification_expire_due``);
- the related lists' (``discussions.related``).

What no event announces (a badge between its expiry time and the job that expires it, a
community's description, a new release's templates) shows within ``VISITOR_PAGE_SECONDS``,
as on any site that keeps pages for visitors.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language

from discussions.events import VISITOR_PAGES_PEOPLE_KEY, visitor_page_generation_key
from discussions.models import Discussion
from discussions.related import GENERATION_KEY as RELATED_GENERATION_KEY

VISITOR_PAGE_SECONDS = 30
# Cookies that carry something the page would show (a flash message) or that make the
# visitor someone (a session: a signed-out session may still hold messages).
PERSONAL_COOKIES = ("sessionid", "messages")


def _page_key(discussion_id: int, path: str) -> str:
    return f"visitor-page:{get_language()}:{discussion_id}:{path}"


def is_shared_visitor_request(request: HttpRequest) -> bool:
    """A GET from a signed-out visitor that carries nothing of their own."""
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and not request.META.get("QUERY_STRING")
        and not any(name in request.COOKIES for name in PERSONAL_COOKIES)
    )


def visitor_page(request: HttpRequest, discussion: Discussion, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The kept page when it is of the current generations, else ``render()``'s, kept when it
    is a plain 200 that set no cookie. Only the discussion's own two addresses are kept (the
    slug is decoration, and any other would let a crawler fill the cache with copies)."""
    if request.path not in (reverse("discussions:detail_short", args=[discussion.pk]), discussion.get_absolute_url()):
        return render()
    page_key = _page_key(discussion.pk, request.path)
    generation_key = visitor_page_generation_key(discussion.pk)
    generation_keys = (generation_key, VISITOR_PAGES_PEOPLE_KEY, RELATED_GENERATION_KEY)
    kept = cache.get_many([page_key, *generation_keys])
    generations = tuple(kept.get(key, 0) for key in generation_keys)
    made_in, content = kept.get(page_key, (None, None))
    if made_in == generations:
        response = HttpResponse(content)
        response.indexable = True
        return response
    response = render()
    if response.status_code == 200 and not response.cookies:
        cache.set(page_key, (generations, response.content), VISITOR_PAGE_SECONDS)
    return response
