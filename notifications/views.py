"""``/notifications/``: the list, marking read, preferences (quiet hours, push devices), hashtag follows,
unsubscribe links, and the push subscription endpoints browsers call."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from community.selectors import community_get_visible_or_404
from discussions.presenters import attach_author_labels
from notifications.emails import unsubscribe_token_read
from notifications.forms import DigestTimeForm, QuietHoursForm
from notifications.models import Notification, NotificationPreference
from notifications.preferences import (
    Preference,
    digest_time_for,
    digest_time_set,
    email_unsubscribe,
    hashtag_follow,
    hashtag_unfollow,
    preference_kinds_for,
    preference_list,
    preference_set,
)
from notifications.push import (
    MAX_SUBSCRIPTION_BYTES,
    InvalidSubscription,
    TooManyDevices,
    push_configured,
    push_device_list,
    push_device_remove,
    push_device_set,
    push_subscribe,
    push_subscription_from_json,
    push_unsubscribe,
)
from notifications.quiet_hours import quiet_hours_for, quiet_hours_set
from notifications.selectors import notification_exists_for, notification_list_visible_to, unread_count
from notifications.services import notification_mark_all_read, notification_mark_read

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
    paginator = Paginator(notification_list_visible_to(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    items = [describe(notification) for notification in page.object_list]
    attach_author_labels([item.about for item in items if item.about is not None], request.user)
    unread = sum(1 for notification in items if notification.is_unread)
    return render(request, "notifications/list.html", {"page": page, "items": items, "unread_on_page": unread})


@login_required
@require_safe
def unread(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"unread": unread_count(request.user)})


@login_required
@require_safe
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a notification (or its email) points, checked now: gone or forbidden is a 404."""
    notification = get_object_or_404(notification_list_visible_to(request.user), pk=pk)
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
    if not notification_exists_for(request.user, pk):
        raise Http404
    notification_mark_read(user=request.user, notification_id=pk)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return _back(request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    chosen = digest_time_for(request.user.pk)
    quiet = quiet_hours_for(request.user.pk)
    data = request.POST if request.method == "POST" else None
    digest_form = DigestTimeForm(data, initial={"digest_hour": chosen.hour, "digest_time_zone": chosen.time_zone})
    quiet_form = QuietHoursForm(
        data,
        initial={"quiet_start": quiet.start_hour, "quiet_end": quiet.end_hour} if quiet else {},
    )
    if request.method == "POST":
        if not (digest_form.is_valid() and quiet_form.is_valid()):
            return _render_preferences(request, digest_form, quiet_form, status=400)
        for kind in preference_kinds_for(request.user):
            email = request.POST.get(f"{kind}-email", NotificationPreference.Email.OFF)
            if email not in NotificationPreference.Email.values:
                email = NotificationPreference.Email.OFF
            preference_set(user=request.user, kind=kind, in_app=request.POST.get(f"{kind}-in_app") == "on", email=email)
        digest_time_set(
            user=request.user,
            hour=digest_form.cleaned_data["digest_hour"],
            time_zone=digest_form.cleaned_data["digest_time_zone"],
        )
        quiet_hours_set(
            user=request.user,
            start_hour=quiet_form.cleaned_data["quiet_start"],
            end_hour=quiet_form.cleaned_data["quiet_end"],
        )
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications:settings")
    return _render_preferences(request, digest_form, quiet_form)


def _render_preferences(
    request: HttpRequest, digest_form: DigestTimeForm, quiet_form: QuietHoursForm, status: int = 200
) -> HttpResponse:
    rows = preference_list(request.user)
    if request.method == "POST":
        # A refused form shows what the member chose, not what was saved before.
        rows = [
            (
                kind,
                label,
                Preference(
                    in_app=request.POST.get(f"{kind}-in_app") == "on",
                    email=request.POST.get(f"{kind}-email", pref.email),
                ),
            )
            for kind, label, pref in rows
        ]
    context = {
        "rows": rows,
        "email_choices": NotificationPreference.Email.choices,
        "digest_form": digest_form,
        "quiet_form": quiet_form,
        "push_on": push_configured(),
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        "devices": push_device_list(request.user),
    }
    return render(request, "notifications/settings.html", context, status=status)


# --- Push devices ----------------------------------------------------------------------


@login_required
@require_POST
def push_subscribe_view(request: HttpRequest) -> JsonResponse:
    """What the browser's PushManager gave (JSON, CSRF token in X-CSRFToken); 400 with the reason if unusable."""
    if not push_configured():
        return JsonResponse({"error": "Push notifications are off on this site."}, status=400)
    try:
        info = push_subscription_from_json(request.body)
        subscription = push_subscribe(
            user=request.user, info=info, user_agent=request.headers.get("User-Agent", "")[:500]
        )
    except (InvalidSubscription, TooManyDevices) as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"id": subscription.pk, "label": subscription.label}, status=201)


@login_required
@require_POST
def push_unsubscribe_view(request: HttpRequest) -> JsonResponse:
    """The browser stopped its subscription: JSON ``{"endpoint": ...}``."""
    if len(request.body) > MAX_SUBSCRIPTION_BYTES:
        return JsonResponse({"error": f"Send at most {MAX_SUBSCRIPTION_BYTES} bytes."}, status=400)
    try:
        data = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("endpoint"), str):
        return JsonResponse({"error": "Send JSON with the endpoint to forget."}, status=400)
    removed = push_unsubscribe(user=request.user, endpoint=data["endpoint"])
    return JsonResponse({"removed": removed})


@login_required
@require_POST
def push_device(request: HttpRequest, pk: int) -> HttpResponse:
    """The settings page's per-device buttons: ``enabled`` = on/off, or ``remove``."""
    if "remove" in request.POST:
        found = push_device_remove(user=request.user, pk=pk)
        message = "That device no longer receives push notifications."
    elif request.POST.get("enabled") in ("on", "off"):
        found = push_device_set(user=request.user, pk=pk, enabled=request.POST["enabled"] == "on")
        message = (
            "Push notifications are on for that device."
            if request.POST["enabled"] == "on"
            else ("Push notifications are off for that device.")
        )
    else:
        return HttpResponseBadRequest("Choose on, off or remove.")
    if not found:
        raise Http404
    messages.success(request, message)
    return redirect(reverse("notifications:settings") + "#push-devices")


@login_required
@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_get_visible_or_404(request.user, slug)
    hashtag_follow(user=request.user, community=community)
    messages.success(
        request,
        f"You follow #{community.slug}. Choose how you hear of new discussions in your notification settings.",
    )
    return _back(request) if request.POST.get("next") else redirect(community.get_absolute_url())


@login_required
@require_POST
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_get_visible_or_404(request.user, slug)
    hashtag_unfollow(user=request.user, community=community)
    messages.success(request, f"You no longer follow #{community.slug}.")
    return _back(request) if request.POST.get("next") else redirect(community.get_absolute_url())


# The signed token is the credential: mail clients send RFC 8058 one-click POSTs
# ("List-Unsubscribe=One-Click") without cookies or a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_token_read(token)
    if found is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    user, kinds = found
    labels = [Notification.Kind(kind).label for kind in kinds]
    if request.method == "POST":
        email_unsubscribe(user=user, kinds=kinds)
        return render(request, "notifications/unsubscribed.html", {"labels": labels})
    return render(request, "notifications/unsubscribe_confirm.html", {"labels": labels, "token": token})
