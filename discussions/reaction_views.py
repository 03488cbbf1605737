"""Reactions: the one-click buttons under each post (``POST /d/<id>/react/``, a plain
form that needs no script, JSON when a script sends it) and who reacted. Reads go
through ``discussions.selectors``, the write through ``discussions.reactions``."""

from collections import defaultdict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from discussions.models import Discussion, Reaction, Reply
from discussions.presenters import NUMBER, reply_url
from discussions.reactions import UNKNOWN_KIND, reaction_toggle
from discussions.selectors import (
    discussion_get_visible_or_404,
    is_signed_in_member,
    reaction_counts_for,
    reaction_list_visible_to,
    reaction_post_get_visible_or_404,
)
from discussions.views import discussion_detail
from spoonful.ratelimits import rate_limit_check

BAD_NUMBER = "number must be a reply number, or empty for the discussion itself."
BAD_KIND = "kind must be one of: me_too, thank_you, strength."


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refused(request: HttpRequest, reason: str, status: int, back: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": reason}, status=status)
    if status == 400:
        return HttpResponseBadRequest(reason, content_type="text/plain; charset=utf-8")
    messages.error(request, reason)
    return redirect(back)


def _post_anchor(discussion: Discussion, reply: Reply | None, viewer) -> str:
    if reply is None:
        return f"{reverse('discussions:detail_short', kwargs={'pk': discussion.pk})}#discussion-reactions"
    return reply_url(discussion, reply, viewer)


@require_http_methods(["GET", "HEAD", "POST"])
def reaction_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the member's reaction of ``kind`` to the discussion or to its reply ``number``,
    or take it back if it is there. Back to the post (a form) or its counts (JSON)."""
    if request.method != "POST":
        # A discussion titled "React" has this as its slug URL: show the page.
        return discussion_detail(request, pk, "react")
    viewer = request.user
    discussion = discussion_get_visible_or_404(viewer, pk)
    if not is_signed_in_member(viewer):
        return redirect(f"{reverse('account_login')}?{urlencode({'next': discussion.get_absolute_url()})}")
    kind = request.POST.get("kind", "")
    raw_number = request.POST.get("number", "").strip()
    if kind not in Reaction.Kind.values:
        return _refused(request, BAD_KIND, 400, discussion.get_absolute_url())
    if raw_number and not NUMBER.fullmatch(raw_number):
        return _refused(request, BAD_NUMBER, 400, discussion.get_absolute_url())
    reply = reaction_post_get_visible_or_404(viewer, discussion, int(raw_number) if raw_number else None)
    back = _post_anchor(discussion, reply, viewer)
    limited = rate_limit_check(request, "react")
    if limited:
        response = _refused(request, limited.message.split(";")[0] + ".", 429, back)
        response["Retry-After"] = str(limited.retry_after)
        return response
    if reply is not None:
        reply.discussion = discussion
    try:
        toggled = reaction_toggle(user=viewer, post=reply if reply is not None else discussion, kind=kind)
    except Discussion.DoesNotExist:
        raise Http404("No such post.") from None
    except ValidationError:
        return _refused(request, UNKNOWN_KIND, 400, back)
    except PermissionDenied as error:
        return _refused(request, str(error), 403, back)
    if not _wants_json(request):
        return redirect(back)
    number = reply.number if reply is not None else None
    found = reaction_counts_for(viewer, discussion, [reply] if reply is not None else []).get(number)
    counts = found["counts"] if found else {}
    return JsonResponse(
        {
            "number": number,
            "kind": toggled.kind,
            "reacted": toggled.reacted,
            "counts": {kind: counts.get(kind, 0) for kind in Reaction.Kind.values},
            "mine": sorted(found["mine"]) if found else [],
        }
    )


def _who_reacted(request: HttpRequest, discussion: Discussion, reply: Reply | None) -> HttpResponse:
    by_kind: dict[str, list] = defaultdict(list)
    for reaction in reaction_list_visible_to(request.user, discussion, reply):
        by_kind[reaction.kind].append(reaction.user)
    groups = [
        {"kind": kind, "label": label, "members": by_kind[kind]}
        for kind, label in Reaction.Kind.choices
        if by_kind[kind]
    ]
    return render(
        request,
        "discussions/reactions.html",
        {
            "discussion": discussion,
            "reply": reply,
            "groups": groups,
            "back": _post_anchor(discussion, reply, request.user),
        },
    )


# Names are for signed-in members who may read the post; visitors see counts only, so a
# "me too" on a public post about an illness is never on the open web or in search.
@login_required
@require_safe
def discussion_reactions(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = discussion_get_visible_or_404(request.user, pk)
    if not discussion.is_published:
        raise Http404
    return _who_reacted(request, discussion, None)


@login_required
@require_safe
def reply_reactions(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    discussion = discussion_get_visible_or_404(request.user, pk)
    reply = reaction_post_get_visible_or_404(request.user, discussion, number)
    if not (discussion.is_published and reply.is_published):
        raise Http404
    return _who_reacted(request, discussion, reply)
