"""Other hashtags for a community (``cfs`` for ``mecfs``): members propose them, the
community's moderators accept or decline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa
from community import services
from community.forms import AliasProposeForm, DecisionForm
from community.selectors import (
    alias_get_or_404,
    alias_list_proposed,
    community_get_moderated_or_404,
    community_get_visible_or_404,
)
from spoonful.pagination import page_of

MODERATION_ROWS_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alias_propose(request: HttpRequest, hashtag: str) -> HttpResponse:
    community = community_get_visible_or_404(request.user, hashtag)
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
    community = community_get_moderated_or_404(request.user, hashtag)
    page = page_of(request, alias_list_proposed(community), MODERATION_ROWS_PER_PAGE)
    return render(request, "community/aliases.html", {"community": community, "page": page})


@login_required
@require_POST
@privileged_action_requires_2fa
def alias_decide(request: HttpRequest, hashtag: str, alias_id: int) -> HttpResponse:
    community = community_get_moderated_or_404(request.user, hashtag)
    alias = alias_get_or_404(community, alias_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline.")
        return redirect("communities:aliases", hashtag=community.slug)
    try:
        services.alias_decide(acting_user=request.user, alias=alias, accept=form.accepted)
    except PermissionDenied as error:
        raise Http404("No such proposal.") from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        verb = "is now another name for" if form.accepted else "was declined for"
        messages.success(request, f"#{alias.name} {verb} #{community.slug}.")
    return redirect("communities:aliases", hashtag=community.slug)
