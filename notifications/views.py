"""``/notifications/``: the list, marking read, preferences, hashtag follows, unsubscribe links."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from community.selectors import community_get_visible_or_404
from discussions.presenters import attach_author_labels
from notifications import services as service
from notifications.models import Notification, NotificationPreference

PAGE_SIZE = 30


def describe(notification: Notification) -> Notification:
    """Attach what the list shows: the post it is about (whose author the list names with
    ``{% post_author %}``) and where it points."""
    reply = notification.reply
    discussion = notification.discussion
    notification.about = reply if reply is not None else discussion
    if reply is not None and discussion is not None:
        notification.target_url = f"{discussion.get_absolute_url()}#reply-{reply.number}"
    elif discussion is not None:
        notification.target_url = discussion.get_absolute_url()
    else:
        notification.target_url = notification.url or ""
    return notification


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(service.notification_list_visible_to(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    items = [describe(notification) for notification in page.object_list]
    attach_author_labels([item.about for item in items if item.about is not None], request.user)
    unread = sum(1 for notification in items if notification.is_unread)
    return render(request, "notifications/list.html", {"page": page, "items": items, "unread_on_page": unread})


@login_required
@require_safe
def unread(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"unread": service.unread_count(request.user)})


@login_required
@require_safe
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a notification (or its email) points, checked now: gone or forbidden is a 404."""
    notification = get_object_or_404(service.notification_list_visible_to(request.user), pk=pk)
    target = describe(notification).target_url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notifications:list")
    return redirect(target)


def _back(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    if not Notification.objects.filter(recipient=request.user, pk=pk).exists():
        raise Http404
    service.notification_mark_read(user=request.user, notification_id=pk)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = service.notification_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return _back(request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        for kind in service.SWITCHABLE_KINDS:
            email = request.POST.get(f"{kind}-email", NotificationPreference.Email.OFF)
            if email not in NotificationPreference.Email.values:
                email = NotificationPreference.Email.OFF
            service.preference_set(
                user=request.user, kind=kind, in_app=request.POST.get(f"{kind}-in_app") == "on", email=email
            )
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications:settings")
    rows = service.preference_list(request.user)
    return render(
        request,
        "notifications/settings.html",
        {"rows": rows, "email_choices": NotificationPreference.Email.choices},
    )


@login_required
@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_get_visible_or_404(request.user, slug)
    service.hashtag_follow(user=request.user, community=community)
    messages.success(
        request,
        f"You follow #{community.slug}. Choose how you hear of new discussions in your notification settings.",
    )
    return _back(request) if request.POST.get("next") else redirect(community.get_absolute_url())


@login_required
@require_POST
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_get_visible_or_404(request.user, slug)
    service.hashtag_unfollow(user=request.user, community=community)
    messages.success(request, f"You no longer follow #{community.slug}.")
    return _back(request) if request.POST.get("next") else redirect(community.get_absolute_url())


# The signed token is the credential: mail clients send RFC 8058 one-click POSTs
# ("List-Unsubscribe=One-Click") without cookies or a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = service.unsubscribe_token_read(token)
    if found is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    user, kinds = found
    labels = [Notification.Kind(kind).label for kind in kinds]
    if request.method == "POST":
        service.email_unsubscribe(user=user, kinds=kinds)
        return render(request, "notifications/unsubscribed.html", {"labels": labels})
    return render(request, "notifications/unsubscribe_confirm.html", {"labels": labels, "token": token})
