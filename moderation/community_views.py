"""Community settings in the moderation screens (``/mod/communities/``): a community's
moderators (staff: every community) keep its description and guidelines, its
new-account hold and its other names (aliases) without the Django admin.

Each form posts to its own address and goes through one audited service in
``community.services``; a community the viewer does not moderate is a 404, as
everywhere in moderation.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa
from community import services
from community.forms import AliasAddForm, CommunityDetailsForm, DecisionForm, NewAccountHoldForm
from community.models import Community
from community.selectors import alias_get_or_404, alias_list_accepted, alias_list_proposed
from discussions.forms import add_service_errors
from moderation.selectors import (
    community_settings_list_for,
    guideline_highest_cited,
    moderated_community_named,
    require_moderator_anywhere,
)

PROPOSALS_SHOWN = 50


def _community(request: HttpRequest, hashtag: str) -> Community:
    community = moderated_community_named(request.user, hashtag)
    if community is None:
        raise Http404("No such community.")
    return community


def _settings_page(request: HttpRequest, community: Community, *, status: int = 200, **bound) -> HttpResponse:
    """The settings screen; a form that failed is passed bound (``details_form=...``) so
    its errors show and what was typed is kept, the others start from the saved values."""
    proposals = alias_list_proposed(community)
    context = {
        "community": community,
        "details_form": CommunityDetailsForm(
            initial={"description": community.description, "guidelines": "\n".join(community.guideline_list())}
        ),
        "hold_form": NewAccountHoldForm(
            initial={"hold_posts": community.new_account_hold_posts, "days": community.new_account_days}
        ),
        "alias_form": AliasAddForm(),
        "hold_summary": services.new_account_hold_summary(
            hold_posts=community.new_account_hold_posts, days=community.new_account_days
        ),
        "highest_cited": guideline_highest_cited(community),
        "aliases": alias_list_accepted(community),
        "proposals": proposals[:PROPOSALS_SHOWN],
        "proposal_count": proposals.count(),
        "decision_error": "",
        **bound,
    }
    response = render(request, "moderation/community_settings.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
@privileged_action_requires_2fa
def communities(request: HttpRequest) -> HttpResponse:
    require_moderator_anywhere(request.user)
    context = {"communities": community_settings_list_for(request.user)}
    return render(request, "moderation/communities.html", context)


@login_required
@require_safe
@privileged_action_requires_2fa
def community_settings(request: HttpRequest, hashtag: str) -> HttpResponse:
    return _settings_page(request, _community(request, hashtag))


@login_required
@require_POST
@privileged_action_requires_2fa
def details_update(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _community(request, hashtag)
    form = CommunityDetailsForm(request.POST)
    if form.is_valid():
        try:
            services.community_update_details(acting_user=request.user, community=community, **form.cleaned_data)
        except PermissionDenied as error:
            raise Http404("No such community.") from error
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Description and guidelines saved.")
            return redirect("moderation:community_settings", hashtag=community.slug)
    return _settings_page(request, community, status=400, details_form=form)


@login_required
@require_POST
@privileged_action_requires_2fa
def hold_update(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _community(request, hashtag)
    form = NewAccountHoldForm(request.POST)
    if form.is_valid():
        try:
            community = services.community_set_new_account_hold(
                acting_user=request.user, community=community, **form.cleaned_data
            )
        except PermissionDenied as error:
            raise Http404("No such community.") from error
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            summary = services.new_account_hold_summary(
                hold_posts=community.new_account_hold_posts, days=community.new_account_days
            )
            messages.success(request, f"New-account hold saved: {summary}.")
            return redirect("moderation:community_settings", hashtag=community.slug)
    return _settings_page(request, community, status=400, hold_form=form)


@login_required
@require_POST
@privileged_action_requires_2fa
def alias_add(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _community(request, hashtag)
    form = AliasAddForm(request.POST)
    if form.is_valid():
        try:
            alias = services.alias_add(acting_user=request.user, community=community, **form.cleaned_data)
        except PermissionDenied as error:
            raise Http404("No such community.") from error
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"#{alias.name} is now another name for #{community.slug}.")
            return redirect("moderation:community_settings", hashtag=community.slug)
    return _settings_page(request, community, status=400, alias_form=form)


@login_required
@require_POST
@privileged_action_requires_2fa
def alias_decide(request: HttpRequest, hashtag: str, alias_id: int) -> HttpResponse:
    community = _community(request, hashtag)
    alias = alias_get_or_404(community, alias_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, community, status=400, decision_error="Choose accept or decline.")
    try:
        services.alias_decide(acting_user=request.user, alias=alias, accept=form.accepted)
    except PermissionDenied as error:
        raise Http404("No such proposal.") from error
    except ValidationError as error:
        return _settings_page(request, community, status=400, decision_error=" ".join(error.messages))
    verb = "is now another name for" if form.accepted else "was declined for"
    messages.success(request, f"#{alias.name} {verb} #{community.slug}.")
    return redirect("moderation:community_settings", hashtag=community.slug)
