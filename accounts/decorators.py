"""View decorators for privileged members."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.selectors import has_two_factor, is_privileged, is_site_staff

TWO_FACTOR_MESSAGE = (
    "Staff, moderators and verified professionals must turn on two-factor sign-in before acting in that role. "
    "Set up an authenticator app below, then go back to what you were doing."
)


def staff_required_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff pages look like missing pages to everyone else."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_site_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def privileged_action_requires_2fa(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff, moderators and verified professionals without two-factor sign-in are sent
    to set it up (/accounts/2fa/) before the view runs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return two_factor_setup_redirect(request) or view(request, *args, **kwargs)

    return wrapper


def admin_requires_2fa(
    admin_view: Callable[..., Callable[..., HttpResponse]],
) -> Callable[..., Callable[..., HttpResponse]]:
    """Wrap ``AdminSite.admin_view`` so every admin page (index, lists, forms, history,
    logout) sends staff without two-factor sign-in to set it up first.

    ``admin_view`` checks that the visitor is signed-in staff; the check here runs
    after it, inside, so signed-out visitors still go to the login page.
    """

    @wraps(admin_view)
    def wrap(view: Callable[..., HttpResponse], cacheable: bool = False) -> Callable[..., HttpResponse]:
        @wraps(view)
        def gated(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_two_factor(request.user):
                messages.warning(request, TWO_FACTOR_MESSAGE)
                return redirect("mfa_index")
            return view(request, *args, **kwargs)

        return admin_view(gated, cacheable)

    return wrap


def two_factor_setup_redirect(request: HttpRequest) -> HttpResponse | None:
    """The redirect to two-factor set-up for a privileged member without it, else None.
    For views where only some paths are privileged (an author acting on their own
    post needs no second factor; a moderator acting on it does)."""
    user = request.user
    if is_privileged(user) and not has_two_factor(user):
        messages.warning(request, TWO_FACTOR_MESSAGE)
        return redirect("mfa_index")
    return None
