"""Other hashtags for a community (``cfs`` for ``mecfs``): members propose them here; the
community's moderators accept or decline them on its settings screen
(``moderation.community_views``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from community import services
from community.forms import AliasProposeForm
from community.selectors import community_get_moderated_or_404, community_get_visible_or_404


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
def alias_proposals(request: HttpRequest, hashtag: str) -> HttpResponse:
    """Proposals are decided on the community's settings screen in moderation now; the
    old address leads there, for bookmarks and notification links."""
    community = community_get_moderated_or_404(request.user, hashtag)
    return redirect(reverse("moderation:community_settings", args=[community.slug]) + "#aliases")
