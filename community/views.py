import html
from collections.abc import Iterable

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from accounts.models import User
from accounts.selectors import is_verified_professional
from community import services
from community.forms import (
    AliasProposeForm,
    CommunityCreateForm,
    CommunityPolicyForm,
    DecisionForm,
    DirectoryFilterForm,
    InviteForm,
)
from community.hashtags import InvalidHashtag, normalise_hashtag
from community.models import Community, CommunityAlias, Membership
from community.selectors import (
    community_get_visible_or_404,
    community_list_visible_to,
    community_resolve,
    is_community_moderator,
    membership_for,
)
from discussions.models import Discussion
from discussions.selectors import discussion_list_visible_to, discussion_tags_known_to, is_site_staff
from moderation.audit import AlreadyHandled
from moderation.member_actions import join_request_decide
from notifications.services import is_following
from spoonful.health import channel_layer_status, database_status
from spoonful.ratelimits import rate_limit_check, rate_limited_response

Viewer = User | AnonymousUser

DISCUSSIONS_PER_PAGE = 30
COMMUNITIES_PER_PAGE = 50
MODERATION_ROWS_PER_PAGE = 50
HOME_DISCUSSIONS = 20
HOME_COMMUNITIES = 12
AUTOCOMPLETE_LIMIT = 10
EXCERPT_LENGTH = 200


# --- Reads shared by the pages below -------------------------------------------
# These build on the visibility selectors and add only counting and ordering, so
# a count can never include what the list would not show.


class _Count(Func):
    # COUNT inside a correlated subquery, without the GROUP BY Django would add
    # for an aggregate: one number per outer row, in the same SQL statement.
    function = "COUNT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def _active_member_count() -> Coalesce:
    members = Membership.objects.filter(community=OuterRef("pk"), status=Membership.Status.ACTIVE).order_by()
    return Coalesce(Subquery(members.annotate(n=_Count(F("pk"))).values("n")), Value(0))


def _visible_discussion_count(viewer: Viewer) -> Coalesce:
    visible = discussion_list_visible_to(viewer).filter(tagged_items__tag=OuterRef("tag_id")).order_by()
    return Coalesce(Subquery(visible.annotate(n=_Count(F("pk"))).values("n")), Value(0))


def _accepted_aliases() -> Prefetch:
    return Prefetch(
        "aliases",
        queryset=CommunityAlias.objects.filter(status=CommunityAlias.Status.ACCEPTED).order_by("name"),
        to_attr="accepted_aliases",
    )


def _communities_with_counts(viewer: Viewer) -> QuerySet[Community]:
    communities = community_list_visible_to(viewer).annotate(
        member_count=_active_member_count(),
        discussion_count=_visible_discussion_count(viewer),
    )
    if viewer.is_authenticated:
        communities = communities.annotate(
            viewer_status=Subquery(
                Membership.objects.filter(community=OuterRef("pk"), user=viewer).values("status")[:1]
            )
        )
    return communities.prefetch_related(_accepted_aliases())


def _community_discussions(viewer: Viewer, community: Community) -> QuerySet[Discussion]:
    return (
        discussion_list_visible_to(viewer)
        .filter(tagged_items__tag=community.tag_id)
        .select_related("author")
        .prefetch_related(discussion_tags_known_to(viewer))
        .order_by("-is_pinned", "-last_activity_at", "-pk")
    )


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


def _page(request: HttpRequest, items: QuerySet, per_page: int) -> Page:
    # get_page turns a missing, malformed or out-of-range ?page= into the nearest real page.
    return Paginator(items, per_page).get_page(request.GET.get("page", "1")[:12])


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _community_for_action(request: HttpRequest, hashtag: str) -> Community:
    return community_get_visible_or_404(request.user, hashtag)


def _moderated_community_or_404(request: HttpRequest, hashtag: str) -> Community:
    community = community_get_visible_or_404(request.user, hashtag)
    if not is_community_moderator(request.user, community):
        raise Http404("No such community.")
    return community


# --- Home and health -------------------------------------------------------------


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    discussions = _with_excerpts(
        discussion_list_visible_to(viewer)
        .select_related("author")
        .prefetch_related(discussion_tags_known_to(viewer))
        .order_by("-last_activity_at", "-pk")[:HOME_DISCUSSIONS]
    )
    communities = community_list_visible_to(viewer).annotate(member_count=_active_member_count())
    if viewer.is_authenticated:
        mine = Membership.objects.filter(community=OuterRef("pk"), user=viewer, status=Membership.Status.ACTIVE)
        communities = communities.annotate(is_mine=Exists(mine))
    else:
        communities = communities.annotate(is_mine=Value(False))
    communities = list(communities.order_by("-is_mine", "-member_count", "slug")[:HOME_COMMUNITIES])
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


@never_cache
@require_safe
async def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": await sync_to_async(database_status)(),
        "channel_layer": await channel_layer_status(),
    }
    healthy = all(status == "ok" for status in checks.values())
    failing = [name for name, status in checks.items() if status != "ok"]
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if healthy else 503)


# --- Directory, community page, autocomplete -------------------------------------


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    communities = _communities_with_counts(request.user)
    if query:
        alias_matches = CommunityAlias.objects.filter(
            community=OuterRef("pk"), status=CommunityAlias.Status.ACCEPTED, name__icontains=query
        )
        communities = communities.filter(Q(slug__icontains=query) | Q(name__icontains=query) | Exists(alias_matches))
    page = _page(request, communities.order_by("slug"), COMMUNITIES_PER_PAGE)
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
    page = _page(request, _community_discussions(viewer, community), DISCUSSIONS_PER_PAGE)
    moderators = (
        Membership.objects.filter(community=community, status=Membership.Status.ACTIVE, role=Membership.Role.MODERATOR)
        .select_related("user")
        .order_by("created_at")
    )
    aliases = community.aliases.filter(status=CommunityAlias.Status.ACCEPTED).order_by("name")
    context = {
        "community": community,
        "membership": membership,
        "is_member": membership is not None and membership.is_active,
        "is_moderator": is_moderator,
        "page": page,
        "discussions": _with_excerpts(page.object_list),
        "moderators": [m.user for m in moderators],
        "aliases": list(aliases),
        "may_join_professionals_only": (
            not community.professionals_only
            or membership is not None
            or (viewer.is_authenticated and is_verified_professional(viewer))
        ),
        "indexable": not viewer.is_authenticated and not community.is_private,
        "following": is_following(viewer, community),
    }
    if is_moderator:
        context["pending_requests"] = Membership.objects.filter(
            community=community, status=Membership.Status.REQUESTED
        ).count()
        context["pending_aliases"] = community.aliases.filter(status=CommunityAlias.Status.PROPOSED).count()
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
    visible = community_list_visible_to(request.user)
    results = [
        {"hashtag": c.slug, "name": c.name, "alias_of": None}
        for c in visible.filter(slug__startswith=prefix).order_by("slug")[:AUTOCOMPLETE_LIMIT]
    ]
    aliases = (
        CommunityAlias.objects.filter(
            status=CommunityAlias.Status.ACCEPTED,
            name__startswith=prefix,
            community__in=visible.values("pk"),
        )
        .select_related("community")
        .order_by("name")[:AUTOCOMPLETE_LIMIT]
    )
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


# --- Joining and leaving -------------------------------------------------------------


@login_required
@require_POST
def join(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _community_for_action(request, hashtag)
    limited = rate_limit_check(request, "join")
    if limited:
        return rate_limited_response(request, "rate_limited.html", {"back_url": community.get_absolute_url()}, limited)
    try:
        membership = services.membership_join(user=request.user, community=community)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        if membership.is_active:
            messages.success(request, f"You are now a member of #{community.slug}.")
        else:
            messages.info(request, "Your request to join has been sent to the moderators.")
    return redirect(community.get_absolute_url())


@login_required
@require_POST
def leave(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _community_for_action(request, hashtag)
    try:
        services.membership_leave(user=request.user, community=community)
    except ValidationError as error:
        messages.error(request, _error_text(error))
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
    community = _moderated_community_or_404(request, hashtag)
    requests = (
        Membership.objects.filter(community=community, status=Membership.Status.REQUESTED)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    page = _page(request, requests, MODERATION_ROWS_PER_PAGE)
    return render(request, "community/requests.html", {"community": community, "page": page})


@login_required
@require_POST
@privileged_action_requires_2fa
def request_decide(request: HttpRequest, hashtag: str, membership_id: int) -> HttpResponse:
    """The one place a join request is decided: the community's page and the moderation queue both post here."""
    community = _moderated_community_or_404(request, hashtag)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "community"), pk=membership_id, community=community
    )
    back = _safe_next(request, reverse("communities:requests", kwargs={"hashtag": community.slug}))
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


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The page a form asked to return to, if it is on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@privileged_action_requires_2fa
def invite(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _moderated_community_or_404(request, hashtag)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitee = User.objects.filter(username__iexact=form.cleaned_data["username"], is_active=True).first()
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
    invited = (
        Membership.objects.filter(community=community, status=Membership.Status.INVITED)
        .select_related("user")
        .order_by("-created_at")[:MODERATION_ROWS_PER_PAGE]
    )
    return render(request, "community/invite.html", {"community": community, "form": form, "invited": invited})


@login_required
@require_safe
@privileged_action_requires_2fa
def members(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _moderated_community_or_404(request, hashtag)
    rows = (
        Membership.objects.filter(community=community, status=Membership.Status.ACTIVE)
        .select_related("user")
        .order_by("-role", "user__username")
    )
    page = _page(request, rows, MODERATION_ROWS_PER_PAGE)
    return render(
        request,
        "community/members.html",
        {"community": community, "page": page, "is_staff": is_site_staff(request.user)},
    )


def _membership_in(community: Community, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "community"), pk=membership_id, community=community
    )


@login_required
@require_POST
@privileged_action_requires_2fa
def member_remove(request: HttpRequest, hashtag: str, membership_id: int) -> HttpResponse:
    community = _moderated_community_or_404(request, hashtag)
    membership = _membership_in(community, membership_id)
    try:
        services.membership_remove(acting_user=request.user, membership=membership)
    except PermissionDenied as error:
        raise Http404("No such member.") from error
    except ValidationError as error:
        messages.error(request, _error_text(error))
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
    membership = _membership_in(community, membership_id)
    try:
        if request.POST.get("action") == "dismiss":
            services.moderator_dismiss(acting_user=request.user, membership=membership)
            messages.success(request, f"{membership.user.public_name} is no longer a moderator.")
        else:
            services.moderator_appoint(acting_user=request.user, community=community, user=membership.user)
            messages.success(request, f"{membership.user.public_name} is now a moderator of #{community.slug}.")
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("communities:members", hashtag=community.slug)


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


# --- Aliases ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alias_propose(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _community_for_action(request, hashtag)
    form = AliasProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            alias = services.alias_propose(acting_user=request.user, community=community, **form.cleaned_data)
        except PermissionDenied:
            form.add_error(None, "Join the community to propose another name for it.")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The same words whatever became of it: some names are declined at once
            # (see alias_propose), and saying so would tell what holds them.
            messages.success(request, f"Thank you: your suggestion of #{alias.name} is recorded.")
            return redirect(community.get_absolute_url())
    return render(request, "community/alias_propose.html", {"community": community, "form": form})


@login_required
@require_safe
@privileged_action_requires_2fa
def alias_proposals(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = _moderated_community_or_404(request, hashtag)
    proposals = (
        community.aliases.filter(status=CommunityAlias.Status.PROPOSED)
        .select_related("proposed_by")
        .order_by("created_at", "pk")
    )
    page = _page(request, proposals, MODERATION_ROWS_PER_PAGE)
    return render(request, "community/aliases.html", {"community": community, "page": page})


@login_required
@require_POST
@privileged_action_requires_2fa
def alias_decide(request: HttpRequest, hashtag: str, alias_id: int) -> HttpResponse:
    community = _moderated_community_or_404(request, hashtag)
    alias = get_object_or_404(CommunityAlias.objects.select_related("community"), pk=alias_id, community=community)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline.")
        return redirect("communities:aliases", hashtag=community.slug)
    try:
        services.alias_decide(acting_user=request.user, alias=alias, accept=form.accepted)
    except PermissionDenied as error:
        raise Http404("No such proposal.") from error
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        verb = "is now another name for" if form.accepted else "was declined for"
        messages.success(request, f"#{alias.name} {verb} #{community.slug}.")
    return redirect("communities:aliases", hashtag=community.slug)
