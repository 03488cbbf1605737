"""What an author does with their own posts after posting: edit or delete a discussion
or a reply, and change who can read a discussion (moderators may only narrow it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.decorators import two_factor_setup_redirect
from discussions import audience_services, services
from discussions.forms import SENSITIVE_FIELDS, DiscussionEditForm, ReplyEditForm, VisibilityForm, add_service_errors
from discussions.models import Discussion, Reply, Visibility
from discussions.presenters import reply_url, tag_slugs
from discussions.privacy import identifying_details
from discussions.selectors import (
    audience_description,
    can_moderate,
    discussion_get_own_or_404,
    discussion_get_visible_or_404,
    is_wider,
    reply_count_by_others,
    reply_list_visible_to,
)
from moderation.audit import AlreadyHandled


def _own_reply_or_404(request: HttpRequest, pk: int, number: int) -> tuple[Discussion, Reply]:
    discussion = discussion_get_visible_or_404(request.user, pk)
    reply = reply_list_visible_to(request.user, discussion).filter(number=number, author=request.user).first()
    if reply is None or reply.is_tombstone:
        raise Http404
    reply.discussion = discussion
    return discussion, reply


@sensitive_post_parameters(*SENSITIVE_FIELDS)
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = discussion_get_own_or_404(request.user, pk)
    status = 200
    if request.method == "POST":
        form = DiscussionEditForm(request.POST)
        if form.is_valid():
            try:
                services.discussion_edit(
                    acting_user=request.user,
                    discussion=discussion,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    content_warning=form.cleaned_data["content_warning"],
                    wants_professional=form.cleaned_data["wants_professional"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Your changes are saved.")
                return redirect(discussion.get_absolute_url())
        status = 400
    else:
        form = DiscussionEditForm(
            initial={
                "title": discussion.title,
                "body": discussion.body,
                "content_warning": discussion.content_warning,
                "wants_professional": discussion.wants_professional,
            }
        )
    return render(request, "discussions/edit.html", {"discussion": discussion, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = discussion_get_own_or_404(request.user, pk)
    if request.method == "POST":
        services.discussion_delete_by_author(acting_user=request.user, discussion=discussion)
        messages.success(request, "Your discussion is deleted.")
        return redirect("home")
    return render(request, "discussions/confirm_delete.html", {"discussion": discussion, "reply": None})


@sensitive_post_parameters("body")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reply_edit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    discussion, reply = _own_reply_or_404(request, pk, number)
    status = 200
    if request.method == "POST":
        form = ReplyEditForm(request.POST)
        if form.is_valid():
            try:
                services.reply_edit(
                    acting_user=request.user,
                    reply=reply,
                    body=form.cleaned_data["body"],
                    content_warning=form.cleaned_data["content_warning"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Your reply is updated.")
                return redirect(reply_url(discussion, reply, request.user))
        status = 400
    else:
        form = ReplyEditForm(initial={"body": reply.body, "content_warning": reply.content_warning})
    return render(
        request, "discussions/reply_edit.html", {"discussion": discussion, "reply": reply, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reply_delete(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    discussion, reply = _own_reply_or_404(request, pk, number)
    if request.method == "POST":
        services.reply_delete_by_author(acting_user=request.user, reply=reply)
        messages.success(request, f"Reply #{reply.number} is deleted.")
        return redirect(reply_url(discussion, reply, request.user))
    return render(request, "discussions/confirm_delete.html", {"discussion": discussion, "reply": reply})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_visibility(request: HttpRequest, pk: int) -> HttpResponse:
    """The author narrows at once and widens after a confirmation naming who will be
    able to read; moderators and staff, with two-factor sign-in, only narrow."""
    discussion = discussion_get_visible_or_404(request.user, pk)
    is_author = discussion.author_id == request.user.pk
    if not is_author:
        if not can_moderate(request.user, discussion):
            raise Http404
        needs_two_factor = two_factor_setup_redirect(request)
        if needs_two_factor is not None:
            return needs_two_factor
    offered = (
        None if is_author else [value for value in Visibility.values if not is_wider(value, discussion.visibility)]
    )
    status = 200
    if request.method == "POST":
        form = VisibilityForm(request.POST, offered=offered, moderating=not is_author)
        form.name_audience(tag_slugs(discussion, request.user))
        if form.is_valid():
            visibility = form.cleaned_data["visibility"]
            try:
                audience_services.discussion_set_visibility(
                    acting_user=request.user,
                    discussion=discussion,
                    visibility=visibility,
                    confirmed=request.POST.get("confirm") == visibility,
                    reason=form.cleaned_data.get("reason", ""),
                )
            except audience_services.AudienceConfirmationRequired:
                return _confirm_wider_audience(request, discussion, visibility)
            except AlreadyHandled as already:
                messages.info(request, str(already))
                return redirect(discussion.get_absolute_url())
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Who can read this discussion is updated.")
                return redirect(discussion.get_absolute_url())
        status = 400
    else:
        form = VisibilityForm(initial={"visibility": discussion.visibility}, offered=offered, moderating=not is_author)
        form.name_audience(tag_slugs(discussion, request.user))
    return render(
        request,
        "discussions/visibility.html",
        {"discussion": discussion, "form": form, "is_moderator": not is_author},
        status=status,
    )


def _confirm_wider_audience(request: HttpRequest, discussion: Discussion, visibility: str) -> HttpResponse:
    """Nothing has changed yet: say who would be able to read it, then ask again."""
    details = []
    if visibility == Visibility.PUBLIC:
        details = identifying_details(f"{discussion.title}\n{discussion.body}", author=request.user)
    return render(
        request,
        "discussions/visibility_confirm.html",
        {
            "discussion": discussion,
            "visibility": visibility,
            "visibility_label": Visibility(visibility).label,
            "audience": audience_description(discussion, visibility),
            "replies_by_others": reply_count_by_others(discussion),
            "privacy_details": details,
        },
    )
