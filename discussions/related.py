""" "You may also like": discussions that share hashtags and title words.

Candidates are scored when a discussion changes (``related_candidates_update``, called
by ``search_index_update``) and stored as ids in ``RelatedDiscussion``. Reading them is
one query through the visibility rule, so the page's query count stays constant and a
candidate the viewer may not see is never shown. Taggit's ``similar_objects()`` is not
used: it knows nothing of visibility.

What a viewer was shown is kept in the cache for a minute, under their access version
(their own changes take effect at once) and a generation that every change to a
discussion, its hashtags, a community or the candidates raises (``related_forget_all``),
in the change's transaction and again once it commits (``events.generation_raised``): a retitled, held, narrowed or
moved discussion leaves every list at once. The reply count and last activity shown
beside each may be a minute old.
"""

import re

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q

from accounts.access import access_for
from accounts.models import User
from discussions import events
from discussions.models import Discussion, DiscussionTag, RelatedDiscussion
from discussions.selectors import discussion_list_visible_to

Viewer = User | AnonymousUser

STORED_CANDIDATES = 20
TAG_WEIGHT = 3
WORD_WEIGHT = 1
MAX_TITLE_WORDS = 6
CANDIDATE_POOL = 200
WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    [
        "about",
        "after",
        "again",
        "also",
        "always",
        "anyone",
        "anything",
        "because",
        "been",
        "before",
        "being",
        "best",
        "better",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "every",
        "from",
        "have",
        "having",
        "help",
        "here",
        "into",
        "just",
        "know",
        "like",
        "more",
        "most",
        "much",
        "need",
        "only",
        "other",
        "over",
        "really",
        "same",
        "should",
        "some",
        "still",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "thing",
        "things",
        "this",
        "those",
        "through",
        "today",
        "very",
        "want",
        "what",
        "when",
        "where",
        "which",
        "while",
        "with",
        "would",
        "your",
        "yours",
    ]
)


def significant_words(title: str) -> set[str]:
    """Title words that say what a discussion is about: four letters or more, not filler."""
    words = {word.lower() for word in WORD.findall(title)}
    return {word for word in words if len(word) >= 4 and word not in STOPWORDS and not word.isdigit()}


RELATED_CACHE_SECONDS = 60
GENERATION_KEY = "related:generation"


def related_forget_all() -> None:
    """Every cached list of related discussions is out of date (see the module's docstring)."""
    events.generation_raised(GENERATION_KEY)


def _cache_key(viewer: Viewer, discussion: Discussion, limit: int) -> str:
    context = access_for(viewer)
    who = "visitor"
    if context.is_member:
        who = f"{context.user_id}.{viewer.access_version}.{int(context.is_staff)}"
    return f"related:{discussion.pk}:{limit}:{who}"


def related_discussions(*, viewer: Viewer, discussion: Discussion, limit: int = 5) -> list[Discussion]:
    """Up to ``limit`` other discussions the viewer may read, best candidates first,
    newest activity breaking ties. One query, or none while the list is cached.

    A list is kept with the generation it was made in and read in the same round trip as
    the current generation: one from before ``related_forget_all`` is made again."""
    key = _cache_key(viewer, discussion, limit)
    kept = cache.get_many([GENERATION_KEY, key])
    generation = kept.get(GENERATION_KEY)
    if generation is None:
        generation = 0
        cache.add(GENERATION_KEY, generation, None)
    made_in, found = kept.get(key, (None, None))
    if made_in != generation:
        found = list(
            discussion_list_visible_to(viewer)
            .filter(related_sources__source_id=discussion.pk)
            .exclude(pk=discussion.pk)
            # Filtering first makes the annotation reuse that one join: one row per pair.
            .annotate(related_score=F("related_sources__score"))
            .order_by("-related_score", "-last_activity_at", "-pk")[:limit]
        )
        cache.set(key, (generation, found), RELATED_CACHE_SECONDS)
    return found


def _score_candidates(discussion: Discussion) -> dict[int, int]:
    scores: dict[int, int] = {}
    tag_ids = list(DiscussionTag.objects.filter(content_object=discussion).values_list("tag_id", flat=True))
    if tag_ids:
        sharing = (
            DiscussionTag.objects.filter(tag_id__in=tag_ids)
            .exclude(content_object_id=discussion.pk)
            .filter(content_object__status=Discussion.Status.PUBLISHED)
            .values("content_object_id")
            .annotate(shared=Count("tag_id", distinct=True))
            .order_by("-shared", "-content_object__last_activity_at")[:CANDIDATE_POOL]
        )
        for row in sharing:
            scores[row["content_object_id"]] = row["shared"] * TAG_WEIGHT

    words = sorted(significant_words(discussion.title), key=len, reverse=True)[:MAX_TITLE_WORDS]
    if words:
        matches = Q()
        for word in words:
            matches |= Q(title__icontains=word)
        similar = (
            Discussion.objects.filter(matches, status=Discussion.Status.PUBLISHED)
            .exclude(pk=discussion.pk)
            .order_by("-last_activity_at")
            .values_list("pk", "title")[:CANDIDATE_POOL]
        )
        mine = set(words)
        for pk, title in similar:
            shared = len(mine & significant_words(title))
            if shared:
                scores[pk] = scores.get(pk, 0) + shared * WORD_WEIGHT
    return scores


def related_candidates_update(discussion_id: int) -> None:
    """Re-score one discussion's candidates, and offer it to them in return, so an
    older discussion learns of a newer one without being re-scored itself."""
    discussion = Discussion.objects.filter(pk=discussion_id).first()
    if discussion is None:
        return
    scores = _score_candidates(discussion)
    best = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:STORED_CANDIDATES]
    with transaction.atomic():
        RelatedDiscussion.objects.filter(Q(source_id=discussion_id) | Q(target_id=discussion_id)).delete()
        rows = [RelatedDiscussion(source_id=discussion_id, target_id=pk, score=score) for pk, score in best]
        rows += [RelatedDiscussion(source_id=pk, target_id=discussion_id, score=score) for pk, score in best]
        RelatedDiscussion.objects.bulk_create(rows, ignore_conflicts=True)
        related_forget_all()
