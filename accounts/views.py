import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors, services, verification
from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from accounts.forms import (
    ApproveForm,
    AvatarForm,
    InfoRequestForm,
    LowEnergyForm,
    ProfileForm,
    RejectForm,
    RevokeForm,
    VerificationApplyForm,
    VerificationInfoForm,
)
from accounts.models import ProfessionalVerification, Profile, User
from community.selectors import community_list_visible_to
from discussions.selectors import profile_discussions_visible_to, profile_replies_visible_to

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


def _safe_next(request: HttpRequest) -> str | None:
    """The page the header toggle came from, if it is a path on this site."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return None


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
            return redirect(_safe_next(request) or "accounts:low_energy_settings")
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


# --- Applying for verification ---------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def verification_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    open_application = selectors.verification_open_for(user)
    active = selectors.active_verification_for(user)
    latest = selectors.verification_latest_for(user)
    apply_form = None
    info_form = None
    status = 200

    renewal_due = active is not None and active.expires_at - timezone.now() <= datetime.timedelta(days=30)
    can_apply = open_application is None and (active is None or renewal_due)
    awaiting_answer = (
        open_application is not None and open_application.status == ProfessionalVerification.Status.NEEDS_INFO
    )

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "apply" and can_apply:
            apply_form = VerificationApplyForm(request.POST, request.FILES)
            if apply_form.is_valid():
                fields = {key: value for key, value in apply_form.cleaned_data.items() if key != "evidence"}
                try:
                    verification.verification_apply(
                        applicant=user, evidence=apply_form.cleaned_data["evidence"], **fields
                    )
                except ValidationError as error:
                    _add_service_error(apply_form, error)
                else:
                    messages.success(request, "Thank you. Your application is waiting for review.")
                    return redirect("accounts:verification_settings")
            status = 400
        elif action == "info" and awaiting_answer:
            info_form = VerificationInfoForm(request.POST, request.FILES)
            if info_form.is_valid():
                try:
                    verification.verification_provide_info(
                        applicant=user,
                        application=open_application,
                        message=info_form.cleaned_data["message"],
                        evidence=info_form.cleaned_data["evidence"],
                    )
                except ValidationError as error:
                    _add_service_error(info_form, error)
                else:
                    messages.success(request, "Thank you. Your answer has been sent to the reviewers.")
                    return redirect("accounts:verification_settings")
            status = 400
        else:
            messages.error(request, "That form is out of date; here is where your application stands now.")
            return redirect("accounts:verification_settings")

    if can_apply and apply_form is None:
        apply_form = VerificationApplyForm()
    if awaiting_answer and info_form is None:
        info_form = VerificationInfoForm()

    notices = list(selectors.notice_list_unseen(user))
    context = {
        "open_application": open_application,
        "active": active,
        "latest": latest,
        "apply_form": apply_form,
        "info_form": info_form,
        "notices": notices,
        "badge": selectors.badges_for_authors([user.pk]).get(user.pk),
        "has_two_factor": selectors.has_two_factor(user),
    }
    response = render(request, "accounts/settings_verification.html", context, status=status)
    if notices:
        services.notices_mark_seen(user=user)
    return response


def _add_service_error(form, error: ValidationError) -> None:
    # Upload problems belong beside the file field; everything else at the top of the form.
    field = "evidence" if getattr(error, "code", None) in ("too_big", "too_large", "invalid_type", "too_many") else None
    form.add_error(field, error)


# --- Staff: the verification queue ---------------------------------------------------


@require_safe
@staff_required_404
@privileged_action_requires_2fa
def verification_queue(request: HttpRequest) -> HttpResponse:
    context = {
        "queue": list(selectors.verification_queue()),
        "decided": list(selectors.verification_recently_decided()),
    }
    return render(request, "accounts/mod_queue.html", context)


def _render_detail(request: HttpRequest, application: ProfessionalVerification, status: int = 200, **forms):
    is_open = application.is_open
    context = {
        "application": application,
        "evidence": list(application.evidence.all()),
        "events": list(selectors.verification_events(application)),
        "is_own": application.applicant_id == request.user.pk,
        "approve_form": forms.get("approve_form") or (ApproveForm() if is_open else None),
        "reject_form": forms.get("reject_form") or (RejectForm() if is_open else None),
        "info_form": forms.get("info_form") or (InfoRequestForm() if is_open else None),
        "revoke_form": forms.get("revoke_form")
        or (RevokeForm() if application.status == ProfessionalVerification.Status.APPROVED else None),
    }
    return render(request, "accounts/mod_detail.html", context, status=status)


@require_safe
@staff_required_404
@privileged_action_requires_2fa
def verification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.verification_get_for_staff_or_404(pk)
    return _render_detail(request, application)


def _decide(request: HttpRequest, pk: int, form_class, form_name: str, act) -> HttpResponse:
    application = selectors.verification_get_for_staff_or_404(pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, status=400, **{form_name: form})
    try:
        act(application, form)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return _render_detail(request, application, status=403)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("accounts:verification_detail", pk=pk)
    return redirect("accounts:verification_detail", pk=pk)


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def verification_approve(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: ProfessionalVerification, form: ApproveForm) -> None:
        verification.verification_approve(acting_user=request.user, application=application, expires_at=form.expires_at)
        messages.success(request, f"Approved {application.applicant.username}.")

    return _decide(request, pk, ApproveForm, "approve_form", act)


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def verification_reject(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: ProfessionalVerification, form: RejectForm) -> None:
        verification.verification_reject(
            acting_user=request.user, application=application, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"Rejected the application from {application.applicant.username}.")

    return _decide(request, pk, RejectForm, "reject_form", act)


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def verification_request_info(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: ProfessionalVerification, form: InfoRequestForm) -> None:
        verification.verification_request_info(
            acting_user=request.user, application=application, message=form.cleaned_data["message"]
        )
        messages.success(request, f"Asked {application.applicant.username} for more information.")

    return _decide(request, pk, InfoRequestForm, "info_form", act)


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def verification_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: ProfessionalVerification, form: RevokeForm) -> None:
        verification.verification_revoke(
            acting_user=request.user, application=application, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"Revoked the verification of {application.applicant.username}.")

    return _decide(request, pk, RevokeForm, "revoke_form", act)


@require_safe
@staff_required_404
@privileged_action_requires_2fa
def verification_evidence(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    evidence = selectors.evidence_get_for_staff_or_404(application_id=pk, evidence_id=evidence_id)
    if not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    verification.evidence_viewed(acting_user=request.user, evidence=evidence)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"application-{pk}-evidence-{evidence.pk}.{evidence.extension}",
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


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
