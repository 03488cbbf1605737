"""Joining and leaving a community, and its moderators managing members: join requests,
invitations, removal, and (staff) appointing or dismissing moderators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa
from accounts.selectors import is_site_staff, member_find
from community import services
from community.forms import DecisionForm, InviteForm
from community.selectors import (
    community_get_moderated_or_404,
    community_get_visible_or_404,
    community_list_visible_to,
    membership_get_or_404,
    membership_list_active,
    membership_list_invited,
    membership_list_requested,
)
from moderation.audit import AlreadyHandled
from moderation.member_actions import join_request_decide
from spoonful.pagination import page_of
from spoonful.ratelimits import rate_limit_check, rate_limited_response
from spoonful.redirects import safe_next

MODERATION_ROWS_PER_PAGE = 50


# --- Joining and leaving -------------------------------------------------------------


@login_required
@require_POST
def join(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = community_get_visible_or_404(request.user, hashtag)
    limited = rate_limit_check(request, "join")
    if limited:
        return rate_limited_response(request, "rate_limited.html", {"back_url": community.get_absolute_url()}, limited)
    try:
        membership = services.membership_join(user=request.user, community=community)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if membership.is_active:
            messages.success(request, f"You are now a member of #{community.slug}.")
        else:
            messages.info(request, "Your request to join has been sent to the moderators.")
    return redirect(community.get_absolute_url())


@login_required
@require_POST
def leave(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = community_get_visible_or_404(request.user, hashtag)
    try:
        services.membership_leave(user=request.user, community=community)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(community.get_absolute_url())
    messages.success(request, f"You are no longer part of #{community.slug}.")
    if not community_list_visible_to(request.user).filter(pk=community.pk).exists():
        return redirect("communities:directory")
    return redirect(community.get_absolute_url())


# --- Moderators: join requests, invitations, members -----------------------------------


@login_required
@require_safe
@privileged_action_requires_2fa
def join_requests(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = community_get_moderated_or_404(request.user, hashtag)
    page = page_of(request, membership_list_requested(community), MODERATION_ROWS_PER_PAGE)
    return render(request, "community/requests.html", {"community": community, "page": page})


@login_required
@require_POST
@privileged_action_requires_2fa
def request_decide(request: HttpRequest, hashtag: str, membership_id: int) -> HttpResponse:
    """The one place a join request is decided: the community's page and the moderation queue both post here."""
    community = community_get_moderated_or_404(request.user, hashtag)
    membership = membership_get_or_404(community, membership_id)
    back = safe_next(request, reverse("communities:requests", kwargs={"hashtag": community.slug}))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline.")
        return redirect(back)
    try:
        # The moderation layer wraps the membership service with its audit row.
        join_request_decide(
            acting_user=request.user, membership=membership, accept=form.accepted, reason=form.cleaned_data["reason"]
        )
    except PermissionDenied as error:
        raise Http404("No such request.") from error
    except AlreadyHandled as handled:
        messages.info(request, handled.message)
    else:
        verb = "accepted" if form.accepted else "declined"
        messages.success(request, f"{membership.user.public_name}'s request was {verb}.")
    return redirect(back)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@privileged_action_requires_2fa
def invite(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = community_get_moderated_or_404(request.user, hashtag)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitee = member_find(form.cleaned_data["username"])
        if invitee is None:
            form.add_error("username", "There is no active member with that username.")
        else:
            try:
                services.membership_invite(acting_user=request.user, community=community, user=invitee)
            except ValidationError as error:
                form.add_error("username", error)
            else:
                messages.success(request, f"{invitee.public_name} has been invited to #{community.slug}.")
                return redirect("communities:invite", hashtag=community.slug)
    invited = membership_list_invited(community)[:MODERATION_ROWS_PER_PAGE]
    return render(request, "community/invite.html", {"community": community, "form": form, "invited": invited})


@login_required
@require_safe
@privileged_action_requires_2fa
def members(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = community_get_moderated_or_404(request.user, hashtag)
    page = page_of(request, membership_list_active(community), MODERATION_ROWS_PER_PAGE)
    return render(
        request,
        "community/members.html",
        {"community": community, "page": page, "is_staff": is_site_staff(request.user)},
    )


@login_required
@require_POST
@privileged_action_requires_2fa
def member_remove(request: HttpRequest, hashtag: str, membership_id: int) -> HttpResponse:
    community = community_get_moderated_or_404(request.user, hashtag)
    membership = membership_get_or_404(community, membership_id)
    try:
        services.membership_remove(acting_user=request.user, membership=membership)
    except PermissionDenied as error:
        raise Http404("No such member.") from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.public_name} is no longer part of #{community.slug}.")
    return redirect("communities:members", hashtag=community.slug)


@login_required
@require_POST
@privileged_action_requires_2fa
def moderator_change(request: HttpRequest, hashtag: str, membership_id: int) -> HttpResponse:
    """Staff appoint a member as moderator, or dismiss one (``action`` = appoint/dismiss)."""
    if not is_site_staff(request.user):
        raise Http404("No such page.")
    community = community_get_visible_or_404(request.user, hashtag)
    membership = membership_get_or_404(community, membership_id)
    try:
        if request.POST.get("action") == "dismiss":
            services.moderator_dismiss(acting_user=request.user, membership=membership)
            messages.success(request, f"{membership.user.public_name} is no longer a moderator.")
        else:
            services.moderator_appoint(acting_user=request.user, community=community, user=membership.user)
            messages.success(request, f"{membership.user.public_name} is now a moderator of #{community.slug}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("communities:members", hashtag=community.slug)
