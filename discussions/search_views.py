"""``/search/``: full-text search over what the viewer may read."""

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from community.selectors import community_resolve
from discussions.presenters import mark_unread
from discussions.search import MAX_QUERY_LENGTH, Sort, clean_query, search_discussions
from spoonful.ratelimits import rate_limit_check, rate_limited_response

PAGE_SIZE = 20
MAX_PAGE = 50


def _date(value: str | None) -> tuple[date | None, str]:
    if not value:
        return None, ""
    try:
        return date.fromisoformat(value), ""
    except ValueError:
        return None, f"“{value[:20]}” is not a date; use the form YYYY-MM-DD."


def _int(value: str | None, default: int, maximum: int) -> int:
    try:
        return min(max(int(value or default), 1), maximum)
    except ValueError:
        return default


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    limited = rate_limit_check(request, "search")
    if limited:
        return rate_limited_response(request, "discussions/search.html", {"message": limited.message}, limited)

    raw_query = request.GET.get("q", "")
    query, _ = clean_query(raw_query)
    # A lone hashtag (or alias) is a community, not a phrase: go there. One the viewer
    # may not know of is searched as a word, exactly like a hashtag that does not exist.
    unknown_hashtag = query.startswith("#") and " " not in query
    if unknown_hashtag:
        community = community_resolve(query, viewer=request.user)
        if community is not None:
            return redirect(community.get_absolute_url())

    hashtag = request.GET.get("hashtag", "").strip()[:41]
    clinician_replied = request.GET.get("clinician") == "1"
    date_from, from_error = _date(request.GET.get("from"))
    date_to, to_error = _date(request.GET.get("to"))
    sort = request.GET.get("sort", Sort.RELEVANCE)
    if sort not in Sort.CHOICES:
        sort = Sort.RELEVANCE
    page = _int(request.GET.get("page"), 1, MAX_PAGE)

    outcome = None
    if "q" in request.GET:
        outcome = search_discussions(
            viewer=request.user,
            query=query.lstrip("#") if unknown_hashtag else raw_query,
            hashtag=hashtag or None,
            clinician_replied=clinician_replied,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    if outcome is not None:
        mark_unread(outcome.results, request.user)
    context = {
        "outcome": outcome,
        "query": query,
        "unknown_hashtag": unknown_hashtag,
        "hashtag": hashtag,
        "clinician_replied": clinician_replied,
        "date_from": date_from.isoformat() if date_from else "",
        "date_to": date_to.isoformat() if date_to else "",
        "sort": sort,
        "page": page,
        "errors": [error for error in (from_error, to_error) if error],
        "max_length": MAX_QUERY_LENGTH,
    }
    # Search pages are never indexed; the middleware adds X-Robots-Tag since the view
    # does not mark the response indexable.
    return render(request, "discussions/search.html", context)
