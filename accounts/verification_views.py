"""Professional verification: a member applies with evidence; staff decide, ask for more, or revoke."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors, services, verification
from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from accounts.forms import (
    ApproveForm,
    InfoRequestForm,
    RejectForm,
    RevokeForm,
    VerificationApplyForm,
    VerificationInfoForm,
)
from accounts.models import ProfessionalVerification

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
