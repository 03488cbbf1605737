"""What members do with moderation: flag a post, read the notices about their posts and appeal, the support page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from discussions.models import Reply
from discussions.selectors import discussion_get_visible_or_404, reply_list_visible_to
from moderation import appeals, flags
from moderation.forms import (
    AppealForm,
    FlagForm,
)
from moderation.models import ModerationNotice
from moderation.selectors import (
    flag_list_by,
    has_flagged,
    notice_get_for_or_404,
    notice_list_for,
)
from moderation.support import crisis_resources_for, region_from_request
from spoonful.ratelimits import rate_limit_check, rate_limited_response
from spoonful.redirects import safe_next

# --- Member pages ---------------------------------------------------------------------


def _flaggable_post_or_404(request: HttpRequest, kind: str, pk: int):
    if kind == "discussion":
        return discussion_get_visible_or_404(request.user, pk)
    if kind == "reply":
        reply = get_object_or_404(Reply.objects.select_related("discussion"), pk=pk)
        discussion = discussion_get_visible_or_404(request.user, reply.discussion_id)
        if not reply_list_visible_to(request.user, discussion).filter(pk=reply.pk).exists():
            raise Http404("No such post.")
        return reply
    raise Http404("No such post.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def flag(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """GET shows the form on its own page (for links and no-script); POST files the flag."""
    post = _flaggable_post_or_404(request, kind, pk)
    back = safe_next(request, post.get_absolute_url())
    form = FlagForm(request.POST or None)
    context = {"post": post, "kind": kind, "form": form, "next": back, "already": has_flagged(request.user, post)}
    if request.method != "POST":
        return render(request, "moderation/flag.html", context)
    limited = rate_limit_check(request, "flag")
    if limited:
        return rate_limited_response(request, "moderation/flag.html", context, limited)
    if not form.is_valid():
        return render(request, "moderation/flag.html", context, status=400)
    try:
        flags.flag_create(
            flagger=request.user,
            post=post,
            reason=form.cleaned_data["reason"],
            guideline=form.cleaned_data["guideline"],
            detail=form.cleaned_data["detail"],
        )
    except PermissionDenied:
        raise Http404("No such post.") from None
    except ValidationError as error:
        form.add_error(None, " ".join(error.messages))
        return render(request, "moderation/flag.html", context, status=400)
    messages.success(
        request, "Thank you. Your flag was received; you'll see what the moderators decide under My flags."
    )
    return redirect(back)


@login_required
@require_safe
def my_flags(request: HttpRequest) -> HttpResponse:
    page = Paginator(flag_list_by(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "moderation/my_flags.html", {"page": page})


@login_required
@require_safe
def notices(request: HttpRequest) -> HttpResponse:
    page = Paginator(notice_list_for(request.user), 30).get_page(request.GET.get("page"))
    response = render(request, "moderation/notices.html", {"page": page})
    # Reading the page marks the notices read; a GET changing only this is harmless.
    ModerationNotice.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notice_get_for_or_404(request.user, pk)
    existing = notice.action.appeals.filter(appellant=request.user).first()
    form = AppealForm(request.POST or None)
    context = {"notice": notice, "form": form, "existing": existing}
    if request.method != "POST" or existing is not None:
        return render(request, "moderation/appeal.html", context, status=200 if request.method != "POST" else 400)
    if not form.is_valid():
        return render(request, "moderation/appeal.html", context, status=400)
    try:
        appeals.appeal_create(appellant=request.user, action=notice.action, text=form.cleaned_data["text"])
    except PermissionDenied:
        raise Http404("No such notice.") from None
    except ValidationError as error:
        form.add_error("text", " ".join(error.messages))
        return render(request, "moderation/appeal.html", context, status=400)
    messages.success(request, "Your appeal was sent. A moderator will answer it here.")
    return redirect("moderation:notices")


@require_safe
def support(request: HttpRequest) -> HttpResponse:
    """Crisis resources, shown to a poster at once when their words suggest crisis."""
    next_url = safe_next(request, "")
    resources = crisis_resources_for(region_from_request(request))
    response = render(request, "moderation/support.html", {"resources": resources, "next": next_url})
    response["Cache-Control"] = "private, no-store"
    return response
