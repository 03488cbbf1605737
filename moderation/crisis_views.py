"""Crisis resources for staff (``/mod/crisis-resources/``): list by region, add, edit,
delete and reorder, through the audited services in ``moderation.crisis_resources``.
Everyone but staff gets a 404, as on the other staff pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from moderation import crisis_resources
from moderation.forms import CrisisResourceForm
from moderation.models import CrisisResource
from moderation.selectors import crisis_resource_get_or_404, crisis_resource_list

LIST_URL = "moderation:crisis_resources"


def _regions(resources: list[CrisisResource]) -> list[tuple[str, list[CrisisResource]]]:
    """``(region, resources)`` in the order of the list: site-wide ("") first."""
    grouped: dict[str, list[CrisisResource]] = {}
    for resource in resources:
        grouped.setdefault(resource.region, []).append(resource)
    return list(grouped.items())


@require_safe
@staff_required_404
@privileged_action_requires_2fa
def crisis_resource_index(request: HttpRequest) -> HttpResponse:
    return render(request, "moderation/crisis_resources.html", {"regions": _regions(list(crisis_resource_list()))})


def _save(request: HttpRequest, resource: CrisisResource | None) -> HttpResponse:
    if request.method == "POST":
        form = CrisisResourceForm(request.POST)
        if form.is_valid():
            try:
                if resource is None:
                    saved = crisis_resources.crisis_resource_create(acting_user=request.user, **form.cleaned_data)
                    messages.success(request, f"{saved.name} added. Posters in crisis see it from now on.")
                else:
                    saved = crisis_resources.crisis_resource_update(
                        acting_user=request.user, resource=resource, **form.cleaned_data
                    )
                    messages.success(request, f"{saved.name} saved.")
            except ValidationError as error:
                form.add_error(None, error)
            except CrisisResource.DoesNotExist:
                raise Http404("No such crisis resource.") from None
            else:
                return redirect(LIST_URL)
    elif resource is None:
        form = CrisisResourceForm(initial={"region": request.GET.get("region", "")[:2]})
    else:
        form = CrisisResourceForm(
            initial={
                "region": resource.region,
                "name": resource.name,
                "description": resource.description,
                "phone": resource.phone,
                "url": resource.url,
                "order": resource.order,
            }
        )
    status = 400 if form.errors else 200
    return render(request, "moderation/crisis_resource_form.html", {"form": form, "resource": resource}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required_404
@privileged_action_requires_2fa
def crisis_resource_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required_404
@privileged_action_requires_2fa
def crisis_resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, crisis_resource_get_or_404(pk))


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def crisis_resource_delete(request: HttpRequest, pk: int) -> HttpResponse:
    resource = crisis_resource_get_or_404(pk)
    try:
        crisis_resources.crisis_resource_delete(acting_user=request.user, resource=resource)
    except CrisisResource.DoesNotExist:
        raise Http404("No such crisis resource.") from None
    messages.success(request, f"{resource.name} deleted.")
    return redirect(LIST_URL)


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def crisis_resource_move(request: HttpRequest, pk: int) -> HttpResponse:
    resource = crisis_resource_get_or_404(pk)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponse("Choose up or down.", status=400, content_type="text/plain; charset=utf-8")
    try:
        crisis_resources.crisis_resource_move(acting_user=request.user, resource=resource, up=direction == "up")
    except CrisisResource.DoesNotExist:
        raise Http404("No such crisis resource.") from None
    messages.success(request, f"{resource.name} moved {direction}.")
    return redirect(LIST_URL)
