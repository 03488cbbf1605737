"""Private conversations: thin views over ``conversations.selectors`` and ``services``.

Everything works as plain forms; the notification socket only adds live delivery."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.selectors import member_find
from conversations import selectors, services
from conversations.forms import MessageForm, MessagingChoiceForm, NewConversationForm, ReportForm
from conversations.models import Message, Participant
from discussions.forms import add_service_errors
from moderation.crisis import suggests_crisis
from moderation.support import crisis_resources_for, region_from_request
from spoonful.ratelimits import rate_limit_check, rate_limited_response

# Each message carries its own small report form; its words are the form's.
REPORT_LABEL = ReportForm.base_fields["reason"].label
REPORT_HELP = ReportForm.base_fields["reason"].help_text
REPORT_CRISIS_LABEL = ReportForm.base_fields["is_crisis"].label


@login_required
@require_http_methods(["GET", "HEAD"])
def inbox(request: HttpRequest) -> HttpResponse:
    listed = selectors.conversation_list_for(request.user)
    requests = [item for item in listed if item.seat.status == Participant.Status.REQUESTED]
    conversations = [item for item in listed if item.seat.status == Participant.Status.ACCEPTED]
    return render(
        request,
        "conversations/inbox.html",
        {"requests": requests, "conversations": conversations, "refusal": selectors.why_cannot_write(request.user)},
    )


def _recipients(names: list[str]) -> tuple[list[User], list[str]]:
    found = {name: member_find(name) for name in names}
    missing = [f"There is no member called {name}." for name, user in found.items() if user is None]
    return [user for user in found.values() if user is not None], missing


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def conversation_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = NewConversationForm(request.POST)
        if form.is_valid():
            limited = rate_limit_check(request, "message")
            if limited:
                return rate_limited_response(request, "conversations/new.html", {"form": form}, limited)
            recipients, missing = _recipients(form.cleaned_data["to"])
            if missing:
                form.add_error("to", missing)
            else:
                try:
                    conversation = services.conversation_start(
                        sender=request.user, recipients=recipients, body=form.cleaned_data["body"]
                    )
                except (ValidationError, PermissionDenied) as error:
                    add_service_errors(
                        form, error if isinstance(error, ValidationError) else ValidationError(str(error))
                    )
                else:
                    messages.success(request, "Your message was sent.")
                    return _after_sending(conversation, form.cleaned_data["body"])
        status = 400
    else:
        form = NewConversationForm(initial={"to": request.GET.get("to", "")[:300]})
    return render(
        request,
        "conversations/new.html",
        {"form": form, "refusal": selectors.why_cannot_write(request.user)},
        status=status,
    )


def _conversation_context(request: HttpRequest, seat: Participant, form: MessageForm) -> dict:
    conversation = seat.conversation
    participants = selectors.participants_of(conversation)
    thread = list(selectors.messages_of(conversation))
    if thread:
        services.conversation_mark_read(user=request.user, conversation=conversation, message_id=thread[-1].pk)
    others = [other for other in participants if other.user_id != request.user.pk]
    # The sender of a request sees only that it was sent: never whether it was read or declined.
    waiting = seat.status == Participant.Status.ACCEPTED and not any(
        other.status == Participant.Status.ACCEPTED for other in others
    )
    return {
        "conversation": conversation,
        "seat": seat,
        "others": others,
        "thread": thread,
        "form": form,
        "report_label": REPORT_LABEL,
        "report_help": REPORT_HELP,
        "report_crisis_label": REPORT_CRISIS_LABEL,
        "waiting": waiting,
        "ended": selectors.conversation_has_ended(participants),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    seat = selectors.seat_get_or_404(request.user, pk)
    template = "conversations/conversation.html"
    if request.method != "POST":
        return render(request, template, _conversation_context(request, seat, MessageForm()))
    form = MessageForm(request.POST)
    if form.is_valid():
        limited = rate_limit_check(request, "message")
        if limited:
            return rate_limited_response(request, template, _conversation_context(request, seat, form), limited)
        try:
            message = services.message_send(
                sender=request.user, conversation=seat.conversation, body=form.cleaned_data["body"]
            )
        except (ValidationError, PermissionDenied) as error:
            add_service_errors(form, error if isinstance(error, ValidationError) else ValidationError(str(error)))
        else:
            return _after_sending(seat.conversation, form.cleaned_data["body"], message)
    return render(request, template, _conversation_context(request, seat, form), status=400)


@login_required
@require_http_methods(["GET", "HEAD"])
def conversation_after(request: HttpRequest, pk: int) -> HttpResponse:
    """The messages after ``?after=<id>`` as list items, for the page's script after a nudge on
    the notification socket. The same seat check as the page: the frame carried no words."""
    seat = selectors.seat_get_or_404(request.user, pk)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return HttpResponse("after must be a message number", status=400, content_type="text/plain")
    thread = list(selectors.messages_of(seat.conversation).filter(pk__gt=after)[:100])
    if thread:
        services.conversation_mark_read(user=request.user, conversation=seat.conversation, message_id=thread[-1].pk)
    return render(
        request,
        "conversations/_messages.html",
        {
            "thread": thread,
            "conversation": seat.conversation,
            "report_label": REPORT_LABEL,
            "report_help": REPORT_HELP,
            "report_crisis_label": REPORT_CRISIS_LABEL,
        },
    )


@login_required
@require_POST
def conversation_answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    seat = selectors.seat_get_or_404(request.user, pk)
    if answer == "accept":
        services.conversation_accept(user=request.user, conversation=seat.conversation)
        messages.success(request, "You accepted. You can reply now.")
        return redirect(seat.conversation.get_absolute_url())
    if answer == "decline":
        services.conversation_decline(user=request.user, conversation=seat.conversation)
        messages.success(request, "Declined. The sender is not told.")
    elif answer == "leave":
        services.conversation_leave(user=request.user, conversation=seat.conversation)
        messages.success(request, "You left the conversation.")
    else:
        raise Http404("No such answer.")
    return redirect(reverse("conversations:inbox"))


@login_required
@require_POST
def message_report(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    seat = selectors.seat_get_or_404(request.user, pk)
    message = Message.objects.filter(pk=message_id, conversation=seat.conversation).first()
    if message is None:
        raise Http404("No such message.")
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.message_report(
                reporter=request.user,
                message=message,
                reason=form.cleaned_data["reason"],
                is_crisis=form.cleaned_data["is_crisis"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Thank you. Staff will look at this message and the few around it.")
            return redirect(seat.conversation.get_absolute_url())
    return render(request, "conversations/report.html", {"form": form, "seat": seat, "message": message}, status=400)


def _after_sending(conversation, body: str, message: Message | None = None) -> HttpResponse:
    """Words that suggest crisis never stop a message; they take the writer to support
    first. Nobody else is told unless the writer asks there (or a reader reports)."""
    if suggests_crisis(body):
        return redirect(reverse("conversations:support", kwargs={"pk": conversation.pk}))
    anchor = f"#message-{message.pk}" if message is not None else ""
    return redirect(f"{conversation.get_absolute_url()}{anchor}")


@login_required
@require_http_methods(["GET", "HEAD"])
def conversation_support(request: HttpRequest, pk: int) -> HttpResponse:
    seat = selectors.seat_get_or_404(request.user, pk)
    response = render(
        request,
        "conversations/support.html",
        {"conversation": seat.conversation, "resources": crisis_resources_for(region_from_request(request))},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def help_request(request: HttpRequest) -> HttpResponse:
    try:
        services.help_request_send(user=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The moderation team will write to you here, in your messages.")
    return redirect(reverse("conversations:inbox"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def messaging_settings(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = MessagingChoiceForm(request.POST)
        if form.is_valid():
            services.messaging_choice_set(user=request.user, audience=form.cleaned_data["audience"])
            messages.success(request, "Saved: who may message you.")
            return redirect(reverse("conversations:settings"))
        status = 400
    else:
        form = MessagingChoiceForm(initial={"audience": selectors.messaging_audience(request.user)})
    return render(request, "conversations/settings.html", {"form": form}, status=status)
