"""Keyword rules in the moderation screens (``/mod/rules/``): community moderators keep
their communities' rules, staff also the site-wide ones. Every change goes through the
audited services in ``moderation.screening``; a rule that is not theirs is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa
from moderation import screening
from moderation.forms import SITE_WIDE, KeywordRuleForm
from moderation.models import KeywordRule
from moderation.selectors import (
    keyword_rule_get_for_moderator_or_404,
    keyword_rule_list_for,
    moderation_scope_for,
    require_moderator_anywhere,
)


def _form(request: HttpRequest, rule: KeywordRule | None = None) -> KeywordRuleForm:
    communities = moderation_scope_for(request.user).communities.order_by("slug")
    options = {"communities": communities, "site_wide": request.user.is_staff}
    if request.method == "POST":
        return KeywordRuleForm(request.POST, **options)
    initial = {"action": KeywordRule.Action.HOLD}
    if rule is not None:
        initial = {
            "community": rule.community.slug if rule.community else SITE_WIDE,
            "pattern": rule.pattern,
            "is_regex": rule.is_regex,
            "action": rule.action,
            "message": rule.message,
        }
    elif request.GET.get("community"):
        initial["community"] = request.GET["community"][:40]
    return KeywordRuleForm(initial=initial, **options)


def _save_or_preview(request: HttpRequest, rule: KeywordRule | None) -> HttpResponse:
    form = _form(request, rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = screening.keyword_rule_preview(
                pattern=data["pattern"], is_regex=data["is_regex"], action=data["action"], text=data["sample"]
            )
        else:
            slug = data["community"]
            community = None
            if slug != SITE_WIDE:
                community = moderation_scope_for(request.user).communities.filter(slug=slug).first()
            fields = {
                "acting_user": request.user,
                "community": community,
                "pattern": data["pattern"],
                "is_regex": data["is_regex"],
                "action": data["action"],
                "message": data["message"],
            }
            try:
                if rule is None:
                    screening.keyword_rule_create(**fields)
                    messages.success(request, "Rule added. New posts are screened by it from now on.")
                else:
                    screening.keyword_rule_update(rule=rule, **fields)
                    messages.success(request, "Rule saved.")
            except PermissionDenied:
                form.add_error("community", "You can only keep rules for the communities you moderate.")
            except ValidationError as error:
                form.add_error("pattern", error)
            else:
                return redirect("moderation:rules")
    status = 400 if request.method == "POST" and form.errors else 200
    context = {"form": form, "rule": rule, "preview": preview}
    return render(request, "moderation/rule_form.html", context, status=status)


@login_required
@require_safe
@privileged_action_requires_2fa
def rules(request: HttpRequest) -> HttpResponse:
    require_moderator_anywhere(request.user)
    context = {"rules": keyword_rule_list_for(request.user), "site_wide": request.user.is_staff}
    return render(request, "moderation/rules.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@privileged_action_requires_2fa
def rule_new(request: HttpRequest) -> HttpResponse:
    require_moderator_anywhere(request.user)
    return _save_or_preview(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@privileged_action_requires_2fa
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_moderator_anywhere(request.user)
    return _save_or_preview(request, keyword_rule_get_for_moderator_or_404(request.user, pk))


@login_required
@require_POST
@privileged_action_requires_2fa
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_moderator_anywhere(request.user)
    rule = keyword_rule_get_for_moderator_or_404(request.user, pk)
    try:
        screening.keyword_rule_delete(acting_user=request.user, rule=rule)
    except (PermissionDenied, KeywordRule.DoesNotExist):
        raise Http404("No such rule.") from None
    messages.success(request, "Rule deleted.")
    return redirect("moderation:rules")


@login_required
@require_POST
@privileged_action_requires_2fa
def rule_switch(request: HttpRequest, pk: int) -> HttpResponse:
    require_moderator_anywhere(request.user)
    rule = keyword_rule_get_for_moderator_or_404(request.user, pk)
    on = request.POST.get("on") == "1"
    try:
        screening.keyword_rule_switch(acting_user=request.user, rule=rule, on=on)
    except (PermissionDenied, KeywordRule.DoesNotExist):
        raise Http404("No such rule.") from None
    messages.success(request, "Rule switched on." if on else "Rule switched off: new posts are not checked against it.")
    return redirect("moderation:rules")
