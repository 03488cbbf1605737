"""Privacy settings: blocking members, exporting my data, deleting my account."""

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts import account_deletion, selectors, services
from accounts.data_export import data_export_request


class DeleteAccountForm(forms.Form):
    posts = forms.ChoiceField(
        label="What should happen to your posts?",
        choices=[
            (account_deletion.PostsChoice.ANONYMISE, "Keep them, shown as written by a former member"),
            (account_deletion.PostsChoice.DELETE, "Delete them (threads keep a placeholder so numbering stays)"),
        ],
        widget=forms.RadioSelect,
    )


@login_required
@require_safe
@never_cache
def privacy_settings(request: HttpRequest) -> HttpResponse:
    blocks = selectors.block_list_made_by(request.user)
    exports = selectors.data_export_list_for(request.user)[:5]
    return render(request, "accounts/privacy_settings.html", {"blocks": blocks, "exports": exports})


# --- Blocking ---------------------------------------------------------------------


@login_required
@require_POST
def block(request: HttpRequest, username: str) -> HttpResponse:
    blocked = selectors.member_get_or_404(username)
    try:
        services.block_create(blocker=request.user, blocked=blocked)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, f"You blocked {blocked.public_name}. Their posts are collapsed for you.")
    return redirect("accounts:profile", username=blocked.username)


@login_required
@require_POST
def unblock(request: HttpRequest, username: str) -> HttpResponse:
    blocked = selectors.member_get_or_404(username)
    services.block_delete(blocker=request.user, blocked=blocked)
    messages.success(request, f"You unblocked {blocked.public_name}.")
    if request.POST.get("next") == "settings":
        return redirect("accounts:privacy_settings")
    return redirect("accounts:profile", username=blocked.username)


# --- Export -------------------------------------------------------------------------


@login_required
@require_POST
@reauthentication_required
def export_request(request: HttpRequest) -> HttpResponse:
    export = data_export_request(user=request.user)
    return redirect("accounts:privacy_export", pk=export.pk)


@login_required
@require_safe
@never_cache
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = selectors.data_export_get_own_or_404(request.user, pk)
    return render(request, "accounts/privacy_export.html", {"export": export})


@login_required
@require_safe
@never_cache
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = selectors.data_export_get_own_or_404(request.user, pk)
    if not export.is_downloadable:
        raise Http404
    response = FileResponse(
        export.file.open("rb"),
        content_type="application/json",
        as_attachment=True,
        filename=f"spoonful-{request.user.username}-{export.created_at:%Y%m%d}.json",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Deleting the account --------------------------------------------------------------


@login_required
@reauthentication_required
@never_cache
def account_delete(request: HttpRequest) -> HttpResponse:
    # The password (or authenticator code) is asked for by allauth's reauthentication
    # flow, with its rate limit and the login lockout, never checked by hand here. A
    # POST from a session that went stale meanwhile is suspended by allauth and
    # replayed after the member confirms, so the choice they made is not lost.
    status = 200
    if request.method == "POST":
        form = DeleteAccountForm(request.POST)
        if form.is_valid():
            account_deletion.account_delete(user=request.user, posts=form.cleaned_data["posts"])
            logout(request)
            messages.success(request, "Your account has been deleted.")
            return redirect("home")
        status = 400
    elif request.method in ("GET", "HEAD"):
        form = DeleteAccountForm()
    else:
        return HttpResponse(status=405)
    return render(request, "accounts/privacy_delete.html", {"form": form}, status=status)
