"""/mod/members/: the mutes, bans and suspensions in force in a moderator's communities,
with "Lift", and the private notes moderators keep about members.

Everything reads through the one moderation scope: a moderator of #a never sees, lifts
or annotates anything in #b (404, as elsewhere in moderation); staff see every
community and site-wide suspensions. Changes go through ``moderation.member_actions``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa
from accounts.models import User
from community.hashtags import HASHTAG_PATTERN
from community.models import Community
from moderation import member_actions
from moderation.audit import AlreadyHandled
from moderation.forms import LiftForm, MemberNoteForm
from moderation.selectors import (
    member_action_community,
    member_note_list_for,
    moderated_community_named,
    moderation_scope_for,
    require_moderator_anywhere,
    sanction_get_for_moderator_or_404,
    sanction_list_for,
)

NOTES_SHOWN = 100


def _slug(value: str) -> str:
    """A hashtag as typed in a query or hidden field, or "" when it cannot be one (a NUL byte included)."""
    value = (value or "")[:40]
    return value if HASHTAG_PATTERN.fullmatch(value) else ""


def _page(request: HttpRequest, community: Community | None, *, status: int = 200, **extra) -> HttpResponse:
    note_initial = {
        "member": request.GET.get("member", "")[:150].replace("\x00", ""),
        "community": community.slug if community else "",
    }
    context = {
        "community": community,
        "moderated": moderation_scope_for(request.user).communities.order_by("slug"),
        "sanctions": sanction_list_for(request.user, community),
        "notes": member_note_list_for(request.user, community=community)[:NOTES_SHOWN],
        "note_form": MemberNoteForm(initial=note_initial),
        "lift_form": LiftForm(),
        "lift_error_for": None,
        "here": request.get_full_path(),
        **extra,
    }
    response = render(request, "moderation/members.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _back(request: HttpRequest) -> str:
    """Back to the list, keeping its community filter when it is one of the viewer's."""
    slug = _slug(request.POST.get("filter", ""))
    url = reverse("moderation:members")
    if slug and moderation_scope_for(request.user).communities.filter(slug=slug).exists():
        url += f"?community={slug}"
    return url


def _posted_filter(request: HttpRequest) -> Community | None:
    slug = _slug(request.POST.get("filter", ""))
    return moderation_scope_for(request.user).communities.filter(slug=slug).first() if slug else None


@login_required
@require_safe
@privileged_action_requires_2fa
def members(request: HttpRequest) -> HttpResponse:
    require_moderator_anywhere(request.user)
    return _page(request, moderated_community_named(request.user, request.GET.get("community", "")))


@login_required
@require_POST
@privileged_action_requires_2fa
def sanction_lift(request: HttpRequest, pk: int) -> HttpResponse:
    require_moderator_anywhere(request.user)
    sanction = sanction_get_for_moderator_or_404(request.user, pk)
    form = LiftForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            member_actions.sanction_lift(
                acting_user=request.user, sanction=sanction, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied:
            raise Http404("No such sanction.") from None
        except AlreadyHandled as handled:
            messages.info(request, handled.message)
            return redirect(_back(request))
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        else:
            messages.success(request, f"Lifted: {sanction.user.public_name} is told.")
            return redirect(_back(request))
    else:
        error = "Keep the reason under 500 characters."
    return _page(
        request, _posted_filter(request), status=400, lift_form=form, lift_error_for=sanction.pk, lift_error=error
    )


@login_required
@require_POST
@privileged_action_requires_2fa
def note_add(request: HttpRequest) -> HttpResponse:
    require_moderator_anywhere(request.user)
    form = MemberNoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        member = User.objects.filter(username__iexact=data["member"].strip().lstrip("@"), is_active=True).first()
        if member is None:
            form.add_error("member", "No member has that username.")
        else:
            try:
                community = member_action_community(request.user, slug=data["community"])
                member_actions.member_note_add(
                    acting_user=request.user, member=member, community=community, text=data["text"]
                )
            except PermissionDenied:
                raise Http404("No such community.") from None
            except ValidationError as invalid:
                form.add_error(None, " ".join(invalid.messages))
            else:
                messages.success(request, f"Note kept about {member.public_name} in #{community.slug}.")
                return redirect(_back(request))
    return _page(request, _posted_filter(request), status=400, note_form=form)
