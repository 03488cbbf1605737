"""Edit histories: the author's own earlier versions of a post, each removable for
good, and every version of a discussion and its replies for its moderators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import privileged_action_requires_2fa
from discussions.models import Discussion, Reply, Revision
from discussions.revision_services import revision_purge
from discussions.selectors import (
    can_moderate,
    discussion_get_own_or_404,
    discussion_get_visible_or_404,
    reply_list_visible_to,
    revision_list_of,
)


def _own_reply_history_or_404(request: HttpRequest, pk: int, number: int) -> tuple[Discussion, Reply]:
    """The viewer's own reply, also when they deleted it (its earlier versions are still
    theirs to remove), but not when moderators removed it."""
    discussion = discussion_get_visible_or_404(request.user, pk)
    reply = (
        reply_list_visible_to(request.user, discussion)
        .filter(number=number, author=request.user)
        .exclude(status=Reply.Status.REMOVED)
        .first()
    )
    if reply is None:
        raise Http404
    reply.discussion = discussion
    return discussion, reply


def _revisions_page(request: HttpRequest, discussion: Discussion, post: Discussion | Reply) -> HttpResponse:
    revisions = revision_list_of(post)
    revisions.reverse()
    return render(
        request,
        "discussions/revisions.html",
        {
            "discussion": discussion,
            "post": post,
            "reply": post if isinstance(post, Reply) else None,
            "revisions": revisions,
        },
    )


def _revision_purge(
    request: HttpRequest, discussion: Discussion, post: Discussion | Reply, version: int, history_url: str
) -> HttpResponse:
    revision = next((r for r in revision_list_of(post) if r.number == version), None)
    if revision is None:
        raise Http404
    if request.method == "POST":
        try:
            revision_purge(acting_user=request.user, post=post, number=version)
        except ValidationError:
            raise Http404 from None
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
            return redirect(history_url)
        messages.success(request, f"The text of version {version} is removed for good.")
        return redirect(history_url)
    return render(
        request,
        "discussions/revision_purge.html",
        {
            "discussion": discussion,
            "reply": post if isinstance(post, Reply) else None,
            "revision": revision,
            "history_url": history_url,
        },
    )


@login_required
@require_safe
def discussion_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    """The author's own earlier versions of their discussion, each one removable."""
    discussion = discussion_get_own_or_404(request.user, pk)
    return _revisions_page(request, discussion, discussion)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_revision_purge(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    discussion = discussion_get_own_or_404(request.user, pk)
    history_url = reverse("discussions:revisions", kwargs={"pk": pk})
    return _revision_purge(request, discussion, discussion, version, history_url)


@login_required
@require_safe
def reply_revisions(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The author's own earlier versions of their reply, each one removable."""
    discussion, reply = _own_reply_history_or_404(request, pk, number)
    return _revisions_page(request, discussion, reply)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reply_revision_purge(request: HttpRequest, pk: int, number: int, version: int) -> HttpResponse:
    discussion, reply = _own_reply_history_or_404(request, pk, number)
    history_url = reverse("discussions:reply_revisions", kwargs={"pk": pk, "number": number})
    return _revision_purge(request, discussion, reply, version, history_url)


# --- Moderator actions ------------------------------------------------------------------


def _moderated_discussion_or_404(request: HttpRequest, pk: int) -> Discussion:
    discussion = discussion_get_visible_or_404(request.user, pk)
    if not can_moderate(request.user, discussion):
        raise Http404
    return discussion


@login_required
@require_safe
@privileged_action_requires_2fa
def discussion_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Earlier versions of the discussion and its replies, for moderators."""
    discussion = _moderated_discussion_or_404(request, pk)
    revisions = discussion.revisions.select_related("edited_by")[:200]
    reply_revisions = (
        Revision.objects.filter(reply__discussion=discussion)
        .select_related("edited_by", "reply")
        .order_by("reply__number", "-created_at")[:500]
    )
    return render(
        request,
        "discussions/history.html",
        {"discussion": discussion, "revisions": revisions, "reply_revisions": reply_revisions},
    )
