"""Profiles: the public profile page and avatar, the member's own profile settings, and the public badge page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts import selectors, services
from accounts.forms import (
    AvatarForm,
    LowEnergyForm,
    ProfileForm,
    RevokeForm,
)
from accounts.models import Profile, User
from community.selectors import community_list_visible_to
from discussions.selectors import profile_discussions_visible_to, profile_replies_visible_to
from spoonful.redirects import safe_next

# --- Profiles ------------------------------------------------------------------


@require_safe
def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = selectors.member_get_or_404(username)
    viewer = request.user
    shown = selectors.profile_for_display(member)
    discussions = profile_discussions_visible_to(member, viewer)
    replies = profile_replies_visible_to(member, viewer)
    badges = selectors.badges_for_authors([member.pk])
    context = {
        "member": member,
        "profile": shown,
        "is_self": viewer.is_authenticated and viewer.pk == member.pk,
        "show_bio": bool(shown.bio) and selectors.audience_allows(shown.bio_visibility, viewer=viewer, owner=member),
        "conditions": selectors.profile_conditions_visible_to(shown, viewer) if shown.pk else [],
        "badge": badges.get(member.pk),
        "discussions": selectors.attach_badges(discussions[: selectors.PROFILE_LIST_LENGTH]),
        "discussion_count": discussions.count(),
        "replies": selectors.attach_badges(replies[: selectors.PROFILE_LIST_LENGTH]),
        "reply_count": replies.count(),
        "has_blocked": selectors.has_blocked(viewer, member),
    }
    return render(request, "accounts/profile.html", context)


@require_safe
def avatar(request: HttpRequest, username: str) -> HttpResponse:
    member = selectors.member_get_or_404(username)
    shown = selectors.profile_for_display(member)
    if not shown.shows_uploaded_avatar:
        raise Http404
    content_type = "image/png" if shown.avatar.name.endswith(".png") else "image/jpeg"
    try:
        response = FileResponse(shown.avatar.open("rb"), content_type=content_type)
    except FileNotFoundError as error:
        raise Http404 from error
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = services.profile_get_or_create(user)
    conditions_queryset = community_list_visible_to(user).order_by("slug")
    if request.method == "POST":
        form = ProfileForm(request.POST, conditions_queryset=conditions_queryset)
        if form.is_valid():
            services.profile_update(user=user, **form.cleaned_data)
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile_settings")
        status = 400
    else:
        form = ProfileForm(
            conditions_queryset=conditions_queryset,
            initial={
                "display_name": user.display_name,
                "role": current.role,
                "pronouns": current.pronouns,
                "bio": current.bio,
                "bio_visibility": current.bio_visibility,
                "conditions": list(current.conditions.all()),
                "conditions_visibility": current.conditions_visibility,
                "conflict_of_interest": current.conflict_of_interest,
                "text_size": user.text_size,
                "slow_to_reply": user.slow_to_reply,
            },
        )
        status = 200
    context = {"form": form, "is_verified": selectors.is_verified_professional(user)}
    return render(request, "accounts/settings_profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def low_energy_settings(request: HttpRequest) -> HttpResponse:
    """The settings form (one checkbox, ``enabled``) and the header toggle, which posts
    here with ``next``: both save and go back, without JavaScript."""
    user = request.user
    if request.method == "POST":
        form = LowEnergyForm(request.POST)
        if form.is_valid():
            enabled = form.cleaned_data["enabled"]
            services.low_energy_set(user=user, enabled=enabled)
            messages.success(request, "Low-energy mode is on." if enabled else "Low-energy mode is off.")
            return redirect(safe_next(request, reverse("accounts:low_energy_settings")))
        status = 400
    else:
        form = LowEnergyForm(initial={"enabled": user.low_energy})
        status = 200
    return render(request, "accounts/settings_low_energy.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def avatar_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = services.profile_get_or_create(user)
    status = 200
    if request.method == "POST":
        form = AvatarForm(request.POST, request.FILES)
        if form.is_valid():
            use_initials = form.cleaned_data["avatar_kind"] == AvatarForm.Choice.INITIALS
            try:
                services.avatar_set(user=user, upload=form.cleaned_data["image"], use_initials=use_initials)
            except ValidationError as error:
                form.add_error("image", error)
            else:
                messages.success(request, "Your picture is saved.")
                return redirect("accounts:avatar_settings")
        status = 400
    else:
        form = AvatarForm(initial={"avatar_kind": current.avatar_kind})
    return render(request, "accounts/settings_avatar.html", {"form": form, "profile": current}, status=status)


# --- The public badge page -------------------------------------------------------------


@require_safe
def professional(request: HttpRequest, username: str) -> HttpResponse:
    member: User = selectors.member_get_or_404(username)
    active = selectors.active_verification_for(member)
    shown: Profile = selectors.profile_for_display(member)
    context = {
        "member": member,
        "verification": active,
        "profile": shown,
        "badge": selectors.badges_for_authors([member.pk]).get(member.pk),
        "revoke_form": RevokeForm() if active and selectors.is_site_staff(request.user) else None,
    }
    return render(request, "accounts/professional.html", context)
