"""Communities for staff (``/mod/staff/communities/``): every community with who can join it
and its moderators; staff change the policy, appoint a member as moderator by username and
remove a moderator here, through the audited community services. Everyone else gets a 404.

All the forms are on one page, so a refused form re-renders that page (400) with what was
typed kept in the community's own form.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from accounts.selectors import member_find
from community import services
from community.forms import CommunityPolicyForm
from community.models import Community
from community.selectors import community_list_with_moderators, membership_get_or_404
from moderation.forms import StaffAppointForm
from moderation.selectors import moderated_community_named
from spoonful.pagination import page_of

COMMUNITIES_PER_PAGE = 50


def _forms_for(community: Community, bound: dict[str, Form] | None) -> dict[str, Form]:
    """The community's two forms; ids carry its hashtag so every label on the page is unique."""
    auto_id = f"id_{community.slug}_%s"
    initial = {"policy": community.policy, "professionals_only": community.professionals_only}
    forms = {
        "policy_form": CommunityPolicyForm(initial=initial, auto_id=auto_id),
        "appoint_form": StaffAppointForm(auto_id=auto_id),
    }
    return {**forms, **(bound or {})}


def _render(
    request: HttpRequest, *, bound_for: Community | None = None, bound: dict[str, Form] | None = None
) -> HttpResponse:
    page = page_of(request, community_list_with_moderators(), COMMUNITIES_PER_PAGE)
    rows = [
        {"community": community, **_forms_for(community, bound if community == bound_for else None)}
        for community in page
    ]
    context = {"page": page, "rows": rows, "page_query": _page_query(request)}
    return render(request, "moderation/staff_communities.html", context, status=400 if bound else 200)


def _page_query(request: HttpRequest) -> str:
    """``?page=N`` for form actions and redirects, so staff stay on the page they acted on."""
    number = request.GET.get("page", "")[:12]
    return f"?{urlencode({'page': number})}" if number.isdigit() else ""


def _back(request: HttpRequest, community: Community) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('moderation:staff_communities')}{_page_query(request)}#c-{community.slug}")


@require_safe
@staff_required_404
@privileged_action_requires_2fa
def staff_communities(request: HttpRequest) -> HttpResponse:
    return _render(request)


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def staff_community_policy(request: HttpRequest, hashtag: str) -> HttpResponse:
    """Making a community private closes the sockets of everyone who may no longer read it
    (``community_set_policy`` announces every discussion in it as changed)."""
    community = moderated_community_named(request.user, hashtag)
    form = CommunityPolicyForm(request.POST, auto_id=f"id_{community.slug}_%s")
    if form.is_valid():
        try:
            services.community_set_policy(acting_user=request.user, community=community, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"#{community.slug}'s policy is saved.")
            return _back(request, community)
    return _render(request, bound_for=community, bound={"policy_form": form})


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def staff_moderator_appoint(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = moderated_community_named(request.user, hashtag)
    form = StaffAppointForm(request.POST, auto_id=f"id_{community.slug}_%s")
    if form.is_valid():
        user = member_find(form.cleaned_data["username"])
        if user is None:
            form.add_error("username", "There is no active member with that username.")
        else:
            try:
                services.moderator_appoint(acting_user=request.user, community=community, user=user, members_only=True)
            except ValidationError as error:
                form.add_error("username", error)
            else:
                messages.success(request, f"{user.public_name} is now a moderator of #{community.slug}.")
                return _back(request, community)
    return _render(request, bound_for=community, bound={"appoint_form": form})


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def staff_moderator_remove(request: HttpRequest, hashtag: str, membership_id: int) -> HttpResponse:
    """The moderator stays a member; only the role goes."""
    community = moderated_community_named(request.user, hashtag)
    membership = membership_get_or_404(community, membership_id)
    try:
        services.moderator_dismiss(acting_user=request.user, membership=membership)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.public_name} is no longer a moderator of #{community.slug}.")
    return _back(request, community)
