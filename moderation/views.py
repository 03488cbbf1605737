"""Moderation pages: the queue, the log, actions, and the member side (flags, notices, appeals).

Not moderating the thing asked about is a 404, the same as it not existing.
Every action is a POST that calls one moderation service (post_actions, services,
member_actions, flags, appeals).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa
from accounts.models import User
from community.hashtags import split_hashtag_field
from community.models import Community
from discussions.models import Discussion
from discussions.selectors import attachment_list_of_post
from moderation import appeals, member_actions, post_actions, services
from moderation.audit import AlreadyHandled
from moderation.forms import (
    AppealDecisionForm,
    MemberActionForm,
    ReasonForm,
    RedactForm,
    RetagForm,
    RevealForm,
)
from moderation.log import log_entries_shown_to, moderation_log_for
from moderation.queue import crisis_flag_among, moderation_queue_for, open_flags_on
from moderation.selectors import (
    appeal_get_for_moderator_or_404,
    is_on_call,
    member_action_community,
    member_note_list_for,
    moderated_community_named,
    moderation_post_get_or_404,
    moderation_scope_for,
    post_communities_moderated_by,
    require_moderator_anywhere,
)
from spoonful.redirects import safe_next

POST_ACTIONS = {
    "approve": (post_actions.post_approve, "Approved."),
    "hide": (post_actions.post_hide, "Hidden while you review it."),
    "remove": (post_actions.post_remove, "Removed."),
    "restore": (post_actions.post_restore, "Restored."),
    "dismiss": (post_actions.flags_dismiss, "Flags dismissed; the post stays as it is."),
}
DISCUSSION_ACTIONS = {
    "lock": (services.discussion_lock, "Locked."),
    "unlock": (services.discussion_unlock, "Unlocked."),
    "pin": (services.discussion_pin, "Pinned."),
    "unpin": (services.discussion_unpin, "Unpinned."),
}
DISCUSSION_ONLY = {*DISCUSSION_ACTIONS, "retag"}
TAKES_GUIDELINE = {"hide", "remove"}
MEMBER_ACTIONS = {"warn", "mute", "ban", "suspend"}


def _seen(request: HttpRequest) -> post_actions.Seen | None:
    """The state the moderator's page showed, sent back by _post_actions.html."""
    status = request.POST.get("seen_status", "")
    had_flags = request.POST.get("seen_flags") == "1"
    if status not in Discussion.Status.values:
        status = ""
    if not (status or had_flags):
        return None
    return post_actions.Seen(status=status, had_open_flags=had_flags)


# --- Moderator pages ---------------------------------------------------------------


@login_required
@require_safe
@privileged_action_requires_2fa
def queue(request: HttpRequest) -> HttpResponse:
    require_moderator_anywhere(request.user)
    community = moderated_community_named(request.user, request.GET.get("community", ""))
    context = {
        "queue": moderation_queue_for(request.user, community),
        "community": community,
        "moderated": moderation_scope_for(request.user).communities.order_by("slug"),
        "on_call": is_on_call(request.user),
        "escalation_minutes": settings.CRISIS_ESCALATION_MINUTES,
    }
    return render(request, "moderation/queue.html", context)


@login_required
@require_safe
@privileged_action_requires_2fa
def log(request: HttpRequest) -> HttpResponse:
    require_moderator_anywhere(request.user)
    community = moderated_community_named(request.user, request.GET.get("community", ""))
    page = Paginator(moderation_log_for(request.user, community), 50).get_page(request.GET.get("page"))
    log_entries_shown_to(request.user, page.object_list)
    context = {"page": page, "community": community}
    return render(request, "moderation/log.html", context)


def _review_context(request: HttpRequest, post, kind: str, **forms) -> dict:
    flags = list(open_flags_on(post))
    return {
        "post": post,
        "kind": kind,
        "flags": flags,
        "attachments": attachment_list_of_post(post),
        "crisis_flag": crisis_flag_among(flags),
        "next": request.get_full_path(),
        "redact_form": forms.get("redact_form") or RedactForm(),
        "retag_form": forms.get("retag_form")
        or RetagForm(initial={"hashtags": " ".join(sorted(post.tags.names())) if kind == "discussion" else ""}),
        "reveal_form": forms.get("reveal_form") or RevealForm(),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "error": forms.get("error", ""),
        # The member-action box starts filled in when the post sits in one community of theirs.
        "community_slug": _only_slug(post_communities_moderated_by(request.user, post)),
    }


def _only_slug(communities: list[Community]) -> str:
    return communities[0].slug if len(communities) == 1 else ""


@login_required
@require_safe
@privileged_action_requires_2fa
def post_review(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    post = moderation_post_get_or_404(request.user, kind, pk)
    return render(request, "moderation/review.html", _review_context(request, post, kind))


@login_required
@require_POST
@privileged_action_requires_2fa
def post_action(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    post = moderation_post_get_or_404(request.user, kind, pk)
    target = safe_next(request, reverse("moderation:queue"))
    context_forms: dict = {}
    try:
        if action in DISCUSSION_ONLY and not isinstance(post, Discussion):
            raise ValidationError("A reply goes where its discussion goes: move, lock or pin the discussion instead.")
        if action in POST_ACTIONS or action in DISCUSSION_ACTIONS:
            service, done = POST_ACTIONS.get(action) or DISCUSSION_ACTIONS[action]
            form = ReasonForm(request.POST)
            context_forms["reason_form"] = form
            if not form.is_valid():
                raise ValidationError("Check the reason and guideline number.")
            arguments = {"acting_user": request.user, "reason": form.cleaned_data["reason"]}
            if action in TAKES_GUIDELINE:
                arguments["guideline"] = form.cleaned_data["guideline"]
            if action in DISCUSSION_ACTIONS:
                service(discussion=post, **arguments)
            else:
                service(post=post, seen=_seen(request), **arguments)
        elif action == "redact":
            form = RedactForm(request.POST)
            context_forms["redact_form"] = form
            if not form.is_valid():
                raise ValidationError("Paste the text to remove.")
            post_actions.post_redact(
                acting_user=request.user, post=post, span=form.cleaned_data["span"], reason=form.cleaned_data["reason"]
            )
            done = "Personal data removed."
        elif action == "remove-attachment":
            attachment_id = request.POST.get("attachment", "")
            if not attachment_id.isdigit():
                raise ValidationError("Choose the attachment to remove.")
            post_actions.attachment_remove(
                acting_user=request.user,
                post=post,
                attachment_id=int(attachment_id),
                reason=request.POST.get("reason", ""),
            )
            done = "Attachment removed."
        elif action == "retag":
            form = RetagForm(request.POST)
            context_forms["retag_form"] = form
            if not form.is_valid():
                raise ValidationError("Give at least one hashtag.")
            services.discussion_retag(
                acting_user=request.user,
                discussion=post,
                hashtags=split_hashtag_field(form.cleaned_data["hashtags"]),
                reason=form.cleaned_data["reason"],
            )
            done = "Hashtags changed."
        else:
            raise Http404("No such action.")
    except PermissionDenied:
        raise Http404("No such post.") from None
    except AlreadyHandled as handled:
        messages.info(request, handled.message)
        return redirect(target)
    except ValidationError as error:
        context = _review_context(request, post, kind, error=" ".join(error.messages), **context_forms)
        return render(request, "moderation/review.html", context, status=400)
    messages.success(request, done)
    return redirect(target)


@login_required
@require_POST
@privileged_action_requires_2fa
def post_reveal(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    post = moderation_post_get_or_404(request.user, kind, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        context = _review_context(request, post, kind, reveal_form=form, error="Say why you need to know.")
        return render(request, "moderation/review.html", context, status=400)
    try:
        author = post_actions.post_reveal_author(
            acting_user=request.user, post=post, reason=form.cleaned_data["reason"]
        )
    except PermissionDenied:
        raise Http404("No such post.") from None
    response = render(request, "moderation/reveal.html", {"post": post, "kind": kind, "author": author})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
@privileged_action_requires_2fa
def member_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    require_moderator_anywhere(request.user)
    if action not in MEMBER_ACTIONS:
        raise Http404("No such action.")
    target = get_object_or_404(User, pk=user_id, is_active=True)
    form = MemberActionForm(request.POST)
    back = safe_next(request, reverse("moderation:queue"))
    context = {
        "form": form,
        "target": target,
        "action": action,
        "next": back,
        "notes": member_note_list_for(request.user, member=target)[:20],
    }
    if not form.is_valid():
        return render(request, "moderation/member_action.html", context, status=400)
    data = form.cleaned_data
    try:
        if action == "suspend":
            member_actions.member_suspend(
                acting_user=request.user, user=target, reason=data["reason"], days=data["days"]
            )
        else:
            try:
                community = member_action_community(
                    request.user, slug=data["community"], post=_acted_from(request, data)
                )
            except ValidationError as error:
                form.add_error("community", error)
                return render(request, "moderation/member_action.html", context, status=400)
            common = {"acting_user": request.user, "user": target, "community": community, "reason": data["reason"]}
            if action == "warn":
                member_actions.member_warn(guideline=data["guideline"], **common)
            elif action == "mute":
                member_actions.member_mute(guideline=data["guideline"], days=data["days"] or 7, **common)
            else:
                member_actions.member_ban(guideline=data["guideline"], days=data["days"], **common)
    except PermissionDenied:
        raise Http404("No such member.") from None
    except AlreadyHandled as handled:
        messages.info(request, handled.message)
        return redirect(back)
    except ValidationError as error:
        return render(
            request, "moderation/member_action.html", {**context, "error": " ".join(error.messages)}, status=400
        )
    messages.success(request, f"Done: {target.public_name} is told what you did and why.")
    return redirect(back)


def _acted_from(request: HttpRequest, data: dict):
    """The post the member action was started from, if the moderator may moderate it."""
    if not (data.get("from_kind") and data.get("from_id")):
        return None
    try:
        return moderation_post_get_or_404(request.user, data["from_kind"], data["from_id"])
    except Http404:
        return None


@login_required
@require_POST
@privileged_action_requires_2fa
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = appeal_get_for_moderator_or_404(request.user, pk)
    form = AppealDecisionForm(request.POST)
    back = safe_next(request, reverse("moderation:queue"))
    if not form.is_valid():
        messages.error(request, "Choose whether the decision stands.")
        return redirect(back)
    try:
        appeals.appeal_decide(
            acting_user=request.user,
            appeal=appeal,
            overturn=form.cleaned_data["decision"] == "overturned",
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied:
        raise Http404("No such appeal.") from None
    except AlreadyHandled as handled:
        messages.info(request, handled.message)
    else:
        messages.success(request, "Appeal answered; the member is told.")
    return redirect(back)
