"""Taking a crisis alert ("I'm on it") and going on or off call (staff).

Both are POSTs from the queue or the review page that call one service in
``moderation.crisis_alerts`` and go back where they came from.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import privileged_action_requires_2fa
from moderation.audit import AlreadyHandled
from moderation.crisis_alerts import crisis_flag_acknowledge, on_call_set
from moderation.selectors import crisis_flag_get_for_moderator_or_404
from spoonful.redirects import safe_next


@login_required
@require_POST
@privileged_action_requires_2fa
def crisis_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    flag = crisis_flag_get_for_moderator_or_404(request.user, pk)
    back = safe_next(request, reverse("moderation:queue"))
    try:
        crisis_flag_acknowledge(acting_user=request.user, flag=flag)
    except PermissionDenied:
        raise Http404("No such flag.") from None
    except AlreadyHandled as handled:
        messages.info(request, handled.message)
    else:
        messages.success(request, "Thank you: the other moderators see that you are on it.")
    return redirect(back)


@login_required
@require_POST
@privileged_action_requires_2fa
def on_call(request: HttpRequest) -> HttpResponse:
    # A staff duty; to anyone else the address does not exist.
    if not request.user.is_staff:
        raise Http404("No such page.")
    going_on = request.POST.get("on_call") == "on"
    on_call_set(acting_user=request.user, on_call=going_on)
    if going_on:
        messages.success(request, "You are on call: crisis alerts reach you at once, whichever community.")
    else:
        messages.success(request, "You are off call.")
    return redirect(safe_next(request, reverse("moderation:queue")))
