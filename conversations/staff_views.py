"""Staff and moderators around private messages: reported messages (the message and its
neighbours only), and writing to a member as the moderation team."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from accounts.selectors import member_get_or_404
from conversations import selectors, services
from conversations.forms import MessageForm, ReportCloseForm
from moderation.selectors import moderation_post_get_or_404


@login_required
@staff_required_404
@privileged_action_requires_2fa
@require_http_methods(["GET", "HEAD"])
def report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "conversations/staff_reports.html", {"reports": selectors.report_queue()})


@login_required
@privileged_action_requires_2fa
@require_http_methods(["GET", "HEAD", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_staff_or_404(request.user, pk)
    form = ReportCloseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.message_report_close(
                acting_user=request.user, report=report, remove_message=form.cleaned_data["remove_message"]
            )
            messages.success(request, "The report is closed.")
            return redirect("conversations:staff_reports")
        status = 400
    context = {"report": report, "context_messages": selectors.report_context(report), "form": form}
    return render(request, "conversations/staff_report.html", context, status=status)


def _reach_out(request: HttpRequest, *, post=None, member=None) -> HttpResponse:
    recipient = post.author if post is not None else member
    form = MessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                conversation = services.conversation_reach_out(
                    acting_user=request.user, body=form.cleaned_data["body"], post=post, member=member
                )
            except ValidationError as error:
                form.add_error("body" if "body" in getattr(error, "error_dict", {}) else None, error)
            except PermissionDenied as error:
                raise Http404("No such page.") from error
            else:
                messages.success(request, "Sent, as from the moderation team.")
                return redirect(conversation.get_absolute_url())
        status = 400
    return render(
        request, "conversations/reach_out.html", {"form": form, "recipient": recipient, "post": post}, status=status
    )


@login_required
@privileged_action_requires_2fa
@require_http_methods(["GET", "HEAD", "POST"])
def reach_out_post(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    post = moderation_post_get_or_404(request.user, kind, pk)
    if post.author is None:
        raise Http404("This post's author has left.")
    return _reach_out(request, post=post)


@login_required
@staff_required_404
@privileged_action_requires_2fa
@require_http_methods(["GET", "HEAD", "POST"])
def reach_out_member(request: HttpRequest, username: str) -> HttpResponse:
    return _reach_out(request, member=member_get_or_404(username))
