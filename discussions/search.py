"""Search over what the viewer may read: discussion titles, bodies and published replies.

Every search starts from ``discussion_list_visible_to(viewer)``; the text match only
narrows that queryset, so no index can leak what the rule hides.

- PostgreSQL: a stored ``search_vector`` (title A, body B, published replies C, English
  stemming) with a GIN index, matched with ``websearch_to_tsquery`` (user syntax such as
  quotes, ``-word`` or ``&|!`` cannot break it), ranked by ``ts_rank`` and highlighted by
  ``ts_headline``.
- SQLite: every word (or "quoted phrase") must appear in the title, the body or a
  published reply; ranked by how often the words occur, title first.

``search_index_update(discussion_id)`` keeps the stored vector (and, debounced, the
related-discussion candidates) current; it is a job services queue whenever a discussion or
its replies change.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Left, Length, Lower, Replace
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import ProfessionalVerification, User
from community.selectors import community_resolve
from discussions.models import Discussion, DiscussionTag, Reply
from discussions.related import related_candidates_update
from discussions.selectors import discussion_list_visible_to, reply_list_readable_by
from spoonful import jobs

Viewer = User | AnonymousUser

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SNIPPET_CHARS = 220
# Private-use characters mark highlights inside ts_headline's output; everything else
# is escaped, then these become <mark> tags. A post cannot smuggle markup through them
# because they are stripped from the text before it is highlighted in Python and an
# unbalanced pair from PostgreSQL makes us drop all marks.
MARK_START = "\ue000"
MARK_STOP = "\ue001"
# Replies beyond this many characters in total do not make a discussion more findable,
# and PostgreSQL refuses tsvectors over 1 MB.
MAX_REPLY_TEXT = 500_000
# Related discussions are rescored at most this often per discussion, however busy it is.
RELATED_RESCORE_DELAY_SECONDS = 300
WORD = re.compile(r"\w+", re.UNICODE)
PHRASE_OR_WORD = re.compile(r'"([^"]+)"|(\w+)', re.UNICODE)


class Sort:
    RELEVANCE = "relevance"
    RECENT = "recent"
    CHOICES = (RELEVANCE, RECENT)


@dataclass
class SearchOutcome:
    """What a search found, with the message a member sees when it could not run."""

    results: list = field(default_factory=list)
    query: str = ""
    message: str = ""
    truncated: bool = False
    has_next: bool = False


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched: printable, single-spaced, at most MAX_QUERY_LENGTH characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in (raw or ""))
    text = " ".join(text.replace(MARK_START, " ").replace(MARK_STOP, " ").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rstrip(), True
    return text, False


def query_terms(query: str) -> list[str]:
    """Words and "quoted phrases" (only their word characters), lower-cased, at most MAX_TERMS."""
    terms: list[str] = []
    for phrase, word in PHRASE_OR_WORD.findall(query):
        term = " ".join(WORD.findall(phrase)) if phrase else word
        term = term.lower()
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


# --- Filters --------------------------------------------------------------------


def _verified_clinician_replied() -> Exists:
    """A published, signed (not anonymous) professional reply by a member who holds an
    approved, unexpired verification right now: accounts.selectors.is_verified_professional
    as a subquery. Anonymous replies never count, so the filter cannot unmask anyone."""
    verified_now = ProfessionalVerification.objects.filter(
        status=ProfessionalVerification.Status.APPROVED,
        expires_at__gt=timezone.now(),
    ).values("applicant_id")
    return Exists(
        Reply.objects.filter(
            discussion=OuterRef("pk"),
            status=Reply.Status.PUBLISHED,
            as_professional=True,
            is_anonymous=False,
            author__is_active=True,
            author_id__in=verified_now,
        )
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_discussions(
    *,
    viewer: Viewer,
    hashtag: str | None = None,
    clinician_replied: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[QuerySet[Discussion], str]:
    """The visible discussions narrowed by the filters, and a message if a filter named nothing."""
    discussions = discussion_list_visible_to(viewer)
    message = ""
    if hashtag:
        community = community_resolve(hashtag, viewer=viewer)
        if community is None:
            # A private community the viewer may not know of looks exactly like a missing one.
            return discussions.none(), f"There is no community called #{_shown(hashtag)}."
        discussions = discussions.filter(
            Exists(DiscussionTag.objects.filter(content_object=OuterRef("pk"), tag_id=community.tag_id))
        )
    if clinician_replied:
        discussions = discussions.filter(_verified_clinician_replied())
    if date_from:
        discussions = discussions.filter(created_at__gte=_day_start(date_from))
    if date_to:
        discussions = discussions.filter(created_at__lt=_day_start(date_to) + timezone.timedelta(days=1))
    return discussions, message


def _shown(hashtag: str) -> str:
    return "".join(ch for ch in hashtag.lstrip("#") if ch.isprintable())[:40]


# --- Search ------------------------------------------------------------------------


def search_discussions(
    *,
    viewer: Viewer,
    query: str,
    hashtag: str | None = None,
    clinician_replied: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str = Sort.RELEVANCE,
    offset: int = 0,
    limit: int = 20,
) -> SearchOutcome:
    """Discussions the viewer may read that match the query, best (or newest) first.

    Never raises on what a member typed: an empty, over-long or punctuation-only query
    gives a message and no results. Runs one query (results and their snippets).
    """
    cleaned, truncated = clean_query(query)
    outcome = SearchOutcome(query=cleaned, truncated=truncated)
    terms = query_terms(cleaned)
    if not cleaned:
        outcome.message = "Type a word or two to search for."
        return outcome
    if not terms:
        outcome.message = "Search needs at least one letter or digit."
        return outcome

    discussions, message = filtered_discussions(
        viewer=viewer, hashtag=hashtag, clinician_replied=clinician_replied, date_from=date_from, date_to=date_to
    )
    if message:
        outcome.message = message
        return outcome

    if is_postgres():
        discussions = _postgres_match(discussions, cleaned)
    else:
        discussions = _fallback_match(discussions, terms, viewer=viewer)
    if sort == Sort.RECENT:
        discussions = discussions.order_by("-last_activity_at", "-pk")
    else:
        discussions = discussions.order_by("-rank", "-last_activity_at", "-pk")

    page = list(discussions[offset : offset + limit + 1])
    outcome.has_next = len(page) > limit
    outcome.results = page[:limit]
    for discussion in outcome.results:
        discussion.title_html = highlight(discussion.title, terms)
        discussion.snippet_html = _snippet_for(discussion, terms)
    return outcome


def _postgres_match(discussions: QuerySet[Discussion], query: str) -> QuerySet[Discussion]:
    search_query = SearchQuery(query, config="english", search_type="websearch")
    return discussions.filter(search_vector=search_query).annotate(
        rank=SearchRank(F("search_vector"), search_query),
        headline=SearchHeadline(
            "body",
            search_query,
            config="english",
            start_sel=MARK_START,
            stop_sel=MARK_STOP,
            max_words=35,
            min_words=15,
            max_fragments=2,
            fragment_delimiter=" … ",
        ),
    )


def _occurrences(field_name: str, term: str):
    """How many times ``term`` occurs in a text column (lower-cased), as an SQL expression."""
    lowered = Lower(field_name)
    return (Length(lowered) - Length(Replace(lowered, Value(term), Value("")))) / Value(len(term))


def _fallback_match(discussions: QuerySet[Discussion], terms: list[str], *, viewer: Viewer) -> QuerySet[Discussion]:
    published_replies = reply_list_readable_by(viewer).filter(discussion=OuterRef("pk"), status=Reply.Status.PUBLISHED)
    rank = Value(0, output_field=IntegerField())
    for term in terms:
        in_replies = Exists(published_replies.filter(body__icontains=term))
        discussions = discussions.filter(Q(title__icontains=term) | Q(body__icontains=term) | in_replies)
        rank = (
            rank
            + _occurrences("title", term) * Value(4)
            + _occurrences("body", term)
            + Case(When(in_replies, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
    return discussions.annotate(rank=Cast(rank, FloatField()))


# --- Snippets ------------------------------------------------------------------------


def _snippet_for(discussion: Discussion, terms: list[str]) -> SafeString:
    """A highlighted excerpt, or nothing at all for a post behind a content warning."""
    if discussion.content_warning:
        return mark_safe("")
    headline = getattr(discussion, "headline", None)
    if headline is not None:
        return marks_to_html(headline)
    return highlight(_excerpt(discussion.body, terms), terms)


def marks_to_html(headline: str) -> SafeString:
    """Escape ts_headline's output, then turn our sentinels (and nothing else) into <mark>."""
    escaped = escape(headline)
    if escaped.count(MARK_START) != escaped.count(MARK_STOP):
        escaped = escaped.replace(MARK_START, "").replace(MARK_STOP, "")
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>"))  # noqa: S308


def _excerpt(text: str, terms: list[str]) -> str:
    text = " ".join(text.split())
    lowered = text.lower()
    positions = [lowered.find(term) for term in terms if term in lowered]
    start = max(0, min(positions) - 60) if positions else 0
    excerpt = text[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + excerpt + ("…" if start + SNIPPET_CHARS < len(text) else "")


def highlight(text: str, terms: list[str]) -> SafeString:
    """HTML-escaped ``text`` with each case-insensitive occurrence of a term in <mark>."""
    text = text.replace(MARK_START, "").replace(MARK_STOP, "")
    if not terms:
        return mark_safe(escape(text))  # noqa: S308
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308


# --- Keeping the index current ----------------------------------------------------------


def search_index_update(discussion_id: int) -> None:
    """A job: recompute a discussion's stored search vector, and rescore its related candidates soon.

    Services queue it whenever a discussion is created or edited, its hashtags or status
    change, or one of its replies is created, edited, hidden, removed or restored. A failure
    is retried by the workers, so a removed or redacted reply's words do leave the index.
    Rescoring is debounced: a busy discussion is rescored at most once per few minutes.
    """
    _search_vector_update(discussion_id)
    jobs.enqueue_debounced(related_candidates_update, discussion_id, seconds=RELATED_RESCORE_DELAY_SECONDS)


def _search_vector_update(discussion_id: int) -> None:
    if is_postgres():
        reply_text = (
            Reply.objects.filter(discussion=OuterRef("pk"), status=Reply.Status.PUBLISHED)
            .order_by()
            .values("discussion")
            .annotate(text=StringAgg("body", delimiter=" "))
            .values("text")
        )
        Discussion.objects.filter(pk=discussion_id).update(
            search_vector=SearchVector("title", weight="A", config="english")
            + SearchVector("body", weight="B", config="english")
            + SearchVector(
                Left(Coalesce(Subquery(reply_text), Value("")), MAX_REPLY_TEXT), weight="C", config="english"
            )
        )


def search_reindex_all(*, batch_size: int = 500) -> int:
    """Rebuild every discussion's index entries; returns how many were done."""
    count = 0
    ids = Discussion.objects.order_by("pk").values_list("pk", flat=True)
    for discussion_id in ids.iterator(chunk_size=batch_size):
        _search_vector_update(discussion_id)
        related_candidates_update(discussion_id)
        count += 1
    return count
