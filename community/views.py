"""The community pages: home, the directory, a community's page and hashtag autocomplete;
staff create communities and set their policy here.

Joining and managing members are in ``community.membership_views``, aliases in
``community.alias_views``.
"""

import html
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.html import strip_tags
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from accounts.selectors import has_two_factor, is_site_staff, is_verified_professional
from community import services
from community.forms import CommunityCreateForm, CommunityPolicyForm, DirectoryFilterForm
from community.hashtags import InvalidHashtag, normalise_hashtag
from community.listings import (
    community_list_for_directory,
    community_list_for_home,
    discussion_list_for_home,
    discussion_list_waiting_for_professional,
    discussion_pages_for_community,
)
from community.selectors import (
    alias_list_accepted,
    alias_list_proposed,
    alias_list_starting_with,
    community_get_visible_or_404,
    community_list_starting_with,
    community_list_visible_to,
    community_resolve,
    membership_for,
    membership_list_moderators,
    membership_list_requested,
)
from discussions.models import Discussion
from discussions.presenters import mark_unread
from notifications.preferences import is_following
from spoonful.pagination import page_of

DISCUSSIONS_PER_PAGE = 30
COMMUNITIES_PER_PAGE = 50
HOME_DISCUSSIONS = 20
HOME_COMMUNITIES = 12
WAITING_PER_PAGE = 30
AUTOCOMPLETE_LIMIT = 10
EXCERPT_LENGTH = 200


def _with_excerpts(discussions: Iterable[Discussion]) -> list[Discussion]:
    """Plain-text excerpts for list items; none at all behind a content warning."""
    items = list(discussions)
    for discussion in items:
        if discussion.content_warning:
            discussion.excerpt = ""
            continue
        text = " ".join(html.unescape(strip_tags(discussion.body_html)).split())
        discussion.excerpt = text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return items


# --- Home ----------------------------------------------------------------------------


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    discussions = mark_unread(_with_excerpts(discussion_list_for_home(viewer, HOME_DISCUSSIONS)), viewer)
    communities = list(community_list_for_home(viewer)[:HOME_COMMUNITIES])
    response = render(
        request,
        "home.html",
        {
            "discussions": discussions,
            "my_communities": [c for c in communities if c.is_mine],
            "other_communities": [c for c in communities if not c.is_mine],
        },
    )
    response.indexable = not viewer.is_authenticated
    return response


# --- Waiting for a professional -------------------------------------------------------


@login_required
@require_safe
def professional_waiting(request: HttpRequest) -> HttpResponse:
    """Discussions in communities a verified clinician follows that asked for a professional's
    view and have no badged answer yet. The page is no secret, so others get a plain 403."""
    if not is_verified_professional(request.user):
        raise PermissionDenied("This list is for verified clinicians.")
    page = page_of(request, discussion_list_waiting_for_professional(request.user), WAITING_PER_PAGE)
    context = {
        "page": page,
        "discussions": _with_excerpts(page.object_list),
        "has_two_factor": has_two_factor(request.user),
    }
    return render(request, "community/professional_waiting.html", context)


# --- Directory, community page, autocomplete -------------------------------------


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    page = page_of(request, community_list_for_directory(request.user, query=query), COMMUNITIES_PER_PAGE)
    response = render(
        request,
        "community/directory.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "can_create": is_site_staff(request.user),
            "indexable": not request.user.is_authenticated,
        },
    )
    response.indexable = not request.user.is_authenticated
    return response


@require_safe
def community_detail(request: HttpRequest, hashtag: str) -> HttpResponse:
    viewer = request.user
    community = community_list_visible_to(viewer).filter(slug=hashtag).first()
    if community is None:
        # An accepted alias, or the hashtag typed differently (#MECFS): one address per community.
        canonical = community_resolve(hashtag, viewer=viewer)
        if canonical is None:
            raise Http404("No such community.")
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(canonical.get_absolute_url() + (f"?{query}" if query else ""))

    membership = membership_for(viewer, community)
    is_moderator = is_site_staff(viewer) or (membership is not None and membership.is_moderator)
    page = page_of(request, discussion_pages_for_community(viewer, community), DISCUSSIONS_PER_PAGE)
    context = {
        "community": community,
        "membership": membership,
        "is_member": membership is not None and membership.is_active,
        "is_moderator": is_moderator,
        "page": page,
        "discussions": mark_unread(_with_excerpts(page.object_list), viewer),
        "moderators": [m.user for m in membership_list_moderators(community)],
        "aliases": list(alias_list_accepted(community)),
        "may_join_professionals_only": (
            not community.professionals_only
            or membership is not None
            or (viewer.is_authenticated and is_verified_professional(viewer))
        ),
        "indexable": not viewer.is_authenticated and not community.is_private,
        "following": is_following(viewer, community),
    }
    if is_moderator:
        context["pending_requests"] = membership_list_requested(community).count()
        context["pending_aliases"] = alias_list_proposed(community).count()
    response = render(request, "community/detail.html", context)
    response.indexable = context["indexable"]
    return response


@require_safe
def autocomplete(request: HttpRequest) -> JsonResponse:
    """Hashtags and accepted aliases starting with ?q=, among communities the viewer may know of."""
    try:
        prefix = normalise_hashtag(request.GET.get("q", "")[:100])
    except InvalidHashtag:
        return JsonResponse({"results": []})
    results = [
        {"hashtag": c.slug, "name": c.name, "alias_of": None}
        for c in community_list_starting_with(request.user, prefix)[:AUTOCOMPLETE_LIMIT]
    ]
    aliases = alias_list_starting_with(request.user, prefix)[:AUTOCOMPLETE_LIMIT]
    results += [{"hashtag": a.name, "name": a.community.name, "alias_of": a.community.slug} for a in aliases]
    results.sort(key=lambda result: (result["hashtag"] != prefix, result["hashtag"]))
    return JsonResponse({"results": results[:AUTOCOMPLETE_LIMIT]})


# --- Creating a community (staff) -------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@privileged_action_requires_2fa
def community_new(request: HttpRequest) -> HttpResponse:
    if not is_site_staff(request.user):
        raise Http404("No such page.")
    if request.method == "POST":
        form = CommunityCreateForm(request.POST)
        if form.is_valid():
            try:
                community = services.community_create(acting_user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"#{community.slug} is ready.")
                return redirect(community.get_absolute_url())
    else:
        form = CommunityCreateForm(initial={"slug": request.GET.get("hashtag", "")[:41]})
    return render(request, "community/new.html", {"form": form})


# --- Policy (staff) ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required_404
@privileged_action_requires_2fa
def policy(request: HttpRequest, hashtag: str) -> HttpResponse:
    """Staff change who can join a community; making it private closes the sockets of
    everyone who may no longer read its discussions."""
    community = community_get_visible_or_404(request.user, hashtag)
    initial = {"policy": community.policy, "professionals_only": community.professionals_only}
    form = CommunityPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.community_set_policy(acting_user=request.user, community=community, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"#{community.slug}'s policy is saved.")
            return redirect(community.get_absolute_url())
    return render(request, "community/policy.html", {"community": community, "form": form})
