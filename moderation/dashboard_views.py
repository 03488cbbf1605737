"""The moderation dashboard (``/mod/dashboard/``) and the CSV exports of its figures and of
the moderation log, for what the viewer moderates: one community with
``?community=<hashtag>``, otherwise all of theirs (staff: the whole site), the same
default as the queue and the log. A community they do not moderate is a 404.
"""

import csv
from collections.abc import Iterable, Sequence

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.decorators import privileged_action_requires_2fa
from community.models import Community
from moderation.charts import dashboard_charts
from moderation.dashboard import WEEKS_DEFAULT, dashboard_figure_rows, dashboard_figures_for
from moderation.forms import DashboardWindowForm
from moderation.log import log_entries_shown_to, moderation_log_for
from moderation.models import ModerationAction
from moderation.selectors import moderated_community_named, moderation_scope_for, require_moderator_anywhere

# The log export is bounded rather than streamed (under ASGI a streamed response is read
# whole before it is sent anyway); the dashboard says how many entries it holds.
LOG_CSV_MAX_ROWS = 10_000
LOG_CSV_BATCH = 500
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response


def _filename(kind: str, community: Community | None) -> str:
    return f"spoonful-{kind}-{community.slug if community else 'all'}-{timezone.localdate().isoformat()}.csv"


def _community(request: HttpRequest) -> Community | None:
    require_moderator_anywhere(request.user)
    return moderated_community_named(request.user, request.GET.get("community", ""))


@login_required
@require_safe
@privileged_action_requires_2fa
def dashboard(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    form = DashboardWindowForm(request.GET)
    context = {
        "form": form,
        "community": community,
        "moderated": moderation_scope_for(request.user).communities.order_by("slug"),
        "log_csv_max_rows": f"{LOG_CSV_MAX_ROWS:,}",
        "weeks": WEEKS_DEFAULT,
    }
    if not form.is_valid():
        return render(request, "moderation/dashboard.html", context, status=400)
    weeks = form.cleaned_data["weeks"]
    figures = dashboard_figures_for(request.user, community, weeks=weeks)
    query = {"community": community.slug} if community else {}
    context.update(
        figures=figures,
        sections=dashboard_charts(figures),
        weeks=weeks,
        figures_csv=reverse("moderation:dashboard_figures_csv") + "?" + urlencode({**query, "weeks": weeks}),
        log_csv=reverse("moderation:log_csv") + ("?" + urlencode(query) if query else ""),
    )
    return render(request, "moderation/dashboard.html", context)


@login_required
@require_safe
@privileged_action_requires_2fa
def dashboard_figures_csv(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    form = DashboardWindowForm(request.GET)
    if not form.is_valid():
        return HttpResponse(" ".join(form.errors["weeks"]), status=400, content_type="text/plain; charset=utf-8")
    figures = dashboard_figures_for(request.user, community, weeks=form.cleaned_data["weeks"])
    header = ("figure", "week starting", "category", "value")
    return _csv_response(_filename("dashboard", community), header, dashboard_figure_rows(figures))


def _log_row(entry: ModerationAction) -> tuple:
    """The fields the log page shows this viewer (after ``log_entries_shown_to``): a post
    only when it is in their scope, by kind and id, never its title; a member only on an
    entry about no post, so the author revealed by a reveal entry is never named."""
    target_kind, target_id = "", ""
    if entry.reply_id or entry.discussion_id:
        if entry.shown_discussion is None:
            target_kind = "a post outside your communities"
        elif entry.reply_id:
            target_kind, target_id = "reply", entry.reply_id
        else:
            target_kind, target_id = "discussion", entry.discussion_id
    elif entry.target_user is not None:
        target_kind, target_id = "member", entry.target_user.username
    role = entry.after.get("role", "") if isinstance(entry.after, dict) else ""
    return (
        timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
        entry.get_kind_display(),
        role,
        entry.actor.public_name if entry.actor else "(account deleted)",
        entry.shown_community.slug if entry.shown_community else "",
        target_kind,
        target_id,
        entry.guideline or "",
        entry.reason,
    )


def _log_rows(request: HttpRequest, community: Community | None) -> Iterable[tuple]:
    entries = moderation_log_for(request.user, community)
    for offset in range(0, LOG_CSV_MAX_ROWS, LOG_CSV_BATCH):
        batch = list(entries[offset : offset + LOG_CSV_BATCH])
        log_entries_shown_to(request.user, batch)
        yield from (_log_row(entry) for entry in batch)
        if len(batch) < LOG_CSV_BATCH:
            return


@login_required
@require_safe
@privileged_action_requires_2fa
def log_csv(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    header = ("time", "action", "acting role", "moderator", "community", "target kind", "target", "guideline", "reason")
    return _csv_response(_filename("moderation-log", community), header, _log_rows(request, community))
