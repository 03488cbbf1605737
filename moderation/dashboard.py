"""The moderation dashboard's figures (``/mod/dashboard/``), read through the one moderation
scope (``moderation.selectors.ModerationScope``): a moderator counts what their queue and
log hold, narrowed to one community when they ask; staff count the whole site.

Counts only. Nothing here reads a post's title or body, and the only people named are the
moderators who acted, as the moderation log names them; an anonymous author never is.

Weeks start on Monday at midnight in the site's time zone; the last one is the week under
way, which ends now. Each figure is one aggregate query over the whole window (a
``Count``/``Min`` per week), so the page costs the same dozen queries for 4 or 52 weeks.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from community.models import Community, Membership
from moderation.models import Appeal, Flag, ModerationAction
from moderation.selectors import ModerationScope, moderation_scope_for

WEEKS_DEFAULT = 12
WEEKS_MIN = 4
WEEKS_MAX = 52
NO_ACCOUNT = "No account (automatic, or since deleted)"


@dataclass(frozen=True)
class Week:
    start: datetime
    # Exclusive; the week under way ends now, so "at the end of the week" means "now" for it.
    end: datetime

    @property
    def is_current(self) -> bool:
        return self.end - self.start < timedelta(days=7)


@dataclass(frozen=True)
class DashboardFigures:
    weeks: list[Week]
    # At the end of each week: how many flags were open, and how long the oldest had waited.
    open_flags: list[int]
    oldest_open_days: list[float | None]
    # Created within the window.
    flags_by_reason: list[tuple[str, int]]
    actions_by_kind: list[tuple[str, int]]
    actions_by_moderator: list[tuple[str, int]]
    appeals_by_outcome: list[tuple[str, int]]
    # Per week.
    crisis_flags: list[int]
    crisis_unanswered: list[int]
    crisis_median_response_minutes: list[float | None]
    new_members: list[int]
    new_discussions: list[int]
    new_replies: list[int]

    @property
    def crisis_unanswered_total(self) -> int:
        return sum(self.crisis_unanswered)


def weeks_ending_now(count: int, now: datetime | None = None) -> list[Week]:
    """The last ``count`` weeks, oldest first, the current one included."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    monday = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=local.weekday())
    starts = [monday - timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    return [Week(start=start, end=min(start + timedelta(weeks=1), now)) for start in starts]


def _in_week(week: Week, field: str = "created_at") -> Q:
    return Q(**{f"{field}__gte": week.start, f"{field}__lt": week.end})


def _weekly_counts(rows: QuerySet, weeks: list[Week]) -> list[int]:
    """How many of ``rows`` were created in each week: one query."""
    rows = rows.filter(created_at__gte=weeks[0].start, created_at__lt=weeks[-1].end)
    found = rows.aggregate(**{f"w{index}": Count("pk", filter=_in_week(week)) for index, week in enumerate(weeks)})
    return [found[f"w{index}"] for index in range(len(weeks))]


def _open_at(moment: datetime) -> Q:
    # A flag decided before ``decided_at`` was recorded has no time to go by: only
    # one still open counts as open then.
    undecided = Q(decided_at__isnull=True, status=Flag.Status.OPEN)
    return Q(created_at__lt=moment) & (Q(decided_at__gte=moment) | undecided)


def _queue_over_time(flags: QuerySet[Flag], weeks: list[Week]) -> tuple[list[int], list[float | None]]:
    """Open flags and the oldest one's age (days) at the end of each week, rebuilt from
    each flag's created and decided times: one query, no snapshots."""
    still_there = Q(decided_at__isnull=True) | Q(decided_at__gte=weeks[0].end)
    aggregates = {}
    for index, week in enumerate(weeks):
        aggregates[f"open{index}"] = Count("pk", filter=_open_at(week.end))
        aggregates[f"oldest{index}"] = Min("created_at", filter=_open_at(week.end))
    found = flags.filter(still_there).aggregate(**aggregates)
    counts = [found[f"open{index}"] for index in range(len(weeks))]
    ages = []
    for index, week in enumerate(weeks):
        oldest = found[f"oldest{index}"]
        ages.append(None if oldest is None else round((week.end - oldest).total_seconds() / 86400, 1))
    return counts, ages


def _by_choice(rows: QuerySet, field: str, choices: list[tuple[str, str]], *, keep_zero: bool) -> list[tuple[str, int]]:
    counts = dict(rows.values_list(field).annotate(count=Count("pk")).order_by())
    pairs = [(label, counts.get(value, 0)) for value, label in choices]
    if keep_zero:
        return pairs
    return sorted((pair for pair in pairs if pair[1]), key=lambda pair: (-pair[1], pair[0]))


def _by_moderator(entries: QuerySet[ModerationAction]) -> list[tuple[str, int]]:
    rows = entries.values("actor_id", "actor__display_name", "actor__username").annotate(count=Count("pk")).order_by()
    named = []
    for row in rows:
        name = row["actor__display_name"] or row["actor__username"] or NO_ACCOUNT
        named.append((name, row["count"]))
    return sorted(named, key=lambda pair: (-pair[1], pair[0]))


def _crisis(flags: QuerySet[Flag], weeks: list[Week]) -> tuple[list[int], list[int], list[float | None]]:
    """Crisis flags raised each week, how many still had no response at the end of
    the window, and the median minutes to a first response: the earlier of a
    moderator's "I'm on it" (acknowledged) and a decision."""
    rows = flags.filter(
        reason=Flag.Reason.CRISIS, created_at__gte=weeks[0].start, created_at__lt=weeks[-1].end
    ).values_list("created_at", "acknowledged_at", "decided_at")
    waits: list[list[float]] = [[] for _ in weeks]
    raised = [0] * len(weeks)
    unanswered = [0] * len(weeks)
    for created_at, acknowledged_at, decided_at in rows:
        index = next(i for i, week in enumerate(weeks) if week.start <= created_at < week.end)
        raised[index] += 1
        responses = [moment for moment in (acknowledged_at, decided_at) if moment is not None]
        if responses:
            waits[index].append(max((min(responses) - created_at).total_seconds(), 0) / 60)
        else:
            unanswered[index] += 1
    medians = [round(statistics.median(week_waits)) if week_waits else None for week_waits in waits]
    return raised, unanswered, medians


def dashboard_figures_for(
    viewer: User, community: Community | None = None, *, weeks: int = WEEKS_DEFAULT, now: datetime | None = None
) -> DashboardFigures:
    """The dashboard for what ``viewer`` moderates (staff: the whole site), or for one of
    their communities. ``community`` must already be one they moderate
    (``moderated_community_named``); ``weeks`` must be within WEEKS_MIN..WEEKS_MAX."""
    if not WEEKS_MIN <= weeks <= WEEKS_MAX:
        raise ValueError(f"weeks must be between {WEEKS_MIN} and {WEEKS_MAX}")
    scope: ModerationScope = moderation_scope_for(viewer)
    if community is not None:
        scope = scope.narrowed_to(community)
    window = weeks_ending_now(weeks, now)
    in_window = Q(created_at__gte=window[0].start, created_at__lt=window[-1].end)

    flags = scope.flags()
    open_flags, oldest_open_days = _queue_over_time(flags, window)
    crisis_flags, crisis_unanswered, crisis_median = _crisis(flags, window)
    entries = scope.log_entries().filter(in_window)
    memberships = Membership.objects.filter(community__in=scope.communities).exclude(status=Membership.Status.REQUESTED)
    return DashboardFigures(
        weeks=window,
        open_flags=open_flags,
        oldest_open_days=oldest_open_days,
        flags_by_reason=_by_choice(flags.filter(in_window), "reason", Flag.Reason.choices, keep_zero=True),
        actions_by_kind=_by_choice(entries, "kind", ModerationAction.Kind.choices, keep_zero=False),
        actions_by_moderator=_by_moderator(entries),
        appeals_by_outcome=_by_choice(
            scope.appeals().filter(in_window), "status", Appeal.Status.choices, keep_zero=True
        ),
        crisis_flags=crisis_flags,
        crisis_unanswered=crisis_unanswered,
        crisis_median_response_minutes=crisis_median,
        new_members=_weekly_counts(memberships, window),
        new_discussions=_weekly_counts(scope.discussions(), window),
        new_replies=_weekly_counts(scope.replies(), window),
    )


def dashboard_figure_rows(figures: DashboardFigures) -> list[tuple[str, str, str, int | float | str]]:
    """The figures as rows for the CSV export: (figure, week starting, category, value).
    Weekly figures have a week and no category; window totals a category and no week.
    A week with no figure (no open flag, no crisis response) has an empty value."""
    rows: list[tuple[str, str, str, int | float | str]] = []
    weekly = (
        ("open flags at the end of the week", figures.open_flags),
        ("oldest open flag, days waiting at the end of the week", figures.oldest_open_days),
        ("crisis flags raised", figures.crisis_flags),
        ("crisis flags still without a response", figures.crisis_unanswered),
        ("crisis flags, median minutes to a first response", figures.crisis_median_response_minutes),
        ("new members", figures.new_members),
        ("new discussions", figures.new_discussions),
        ("new replies", figures.new_replies),
    )
    for name, values in weekly:
        for week, value in zip(figures.weeks, values, strict=True):
            rows.append((name, timezone.localtime(week.start).date().isoformat(), "", "" if value is None else value))
    totals = (
        ("flags by reason", figures.flags_by_reason),
        ("actions by kind", figures.actions_by_kind),
        ("actions by moderator", figures.actions_by_moderator),
        ("appeals by outcome", figures.appeals_by_outcome),
    )
    for name, pairs in totals:
        for category, count in pairs:
            rows.append((name, "", category, count))
    return rows
