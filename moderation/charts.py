"""Server-rendered SVG charts for the moderation dashboard: no JavaScript, readable by a
screen reader (``role="img"`` with a ``<title>`` and a ``<desc>`` that states the figures'
gist) and always followed on the page by the same figures as a table
(``templates/moderation/_chart.html``).

Colours come from the site's CSS variables (``static/css/moderation.css``), so both colour
schemes work; series are told apart by dash pattern, marker shape and a text legend as
well as by colour, and every bar carries its number. All text is escaped by
``format_html``.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from moderation.dashboard import DashboardFigures, Week

WIDTH = 480
FONT = 14
DASHES = ["", "7 4", "2 4"]
MARKERS = ["circle", "square", "triangle"]

Value = int | float | None


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Value]


@dataclass(frozen=True)
class Chart:
    """One chart and its table. ``categories`` are the x axis (weeks) of a line or column
    chart, or the bars of a bar chart; each series has one value per category and is a
    column of the table. Bar and column charts draw the first series only (the others
    are in the table and the description); a line chart draws up to three."""

    key: str
    title: str
    description: str
    kind: str  # "bar" (horizontal, one series), "columns" (vertical, weekly) or "line"
    category_heading: str
    categories: Sequence[str]
    series: Sequence[Series]
    value_label: str
    axis_labels: Sequence[str] = field(default_factory=list)
    empty_text: str = "none"

    @property
    def svg(self) -> SafeString:
        if self.kind == "bar":
            return _bar_svg(self)
        return _weekly_svg(self)

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        return [
            (category, [_number(serie.values[index], self.empty_text) for serie in self.series])
            for index, category in enumerate(self.categories)
        ]


def _number(value: Value, empty: str = "none") -> str:
    if value is None:
        return empty
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value):,}"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``: the axis top."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _frame(chart: Chart, height: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" focusable="false">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart.key,
        chart.key,
        chart.key,
        chart.title,
        chart.key,
        chart.description,
        body,
    )


def _join(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


# --- Horizontal bars: one labelled bar per category, its number at its end ------------------

BAR_ROW = 44
BAR_HEIGHT = 16
BAR_LEFT = 8
BAR_RIGHT = 64


def _bar_svg(chart: Chart) -> SafeString:
    values = [value or 0 for value in chart.series[0].values]
    top = nice_ceiling(max(values, default=0))
    span = WIDTH - BAR_LEFT - BAR_RIGHT
    height = BAR_ROW * len(values) + 40
    parts = []
    for index, (label, value) in enumerate(zip(chart.categories, values, strict=True)):
        y = index * BAR_ROW + 16
        length = round(span * value / top, 1)
        parts.append(
            format_html(
                '<text class="chart-text" x="{}" y="{}" font-size="{}">{}</text>'
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="chart-text chart-value" x="{}" y="{}" font-size="{}">{}</text>',
                BAR_LEFT,
                y,
                FONT,
                label,
                BAR_LEFT,
                y + 6,
                max(length, 1),
                BAR_HEIGHT,
                BAR_LEFT + max(length, 1) + 6,
                y + 6 + BAR_HEIGHT - 3,
                FONT,
                _number(value),
            )
        )
    axis_y = BAR_ROW * len(values) + 8
    parts.append(
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
            '<text class="chart-text chart-muted" x="{}" y="{}" font-size="{}">{}</text>',
            BAR_LEFT,
            axis_y,
            WIDTH - BAR_RIGHT,
            axis_y,
            BAR_LEFT,
            axis_y + 22,
            FONT,
            chart.value_label,
        )
    )
    return _frame(chart, height, _join(parts))


# --- Weekly charts: columns (one series) or lines (several) over the weeks -----------------

PLOT_LEFT = 52
PLOT_RIGHT = 16
PLOT_TOP = 16
PLOT_HEIGHT = 180
MAX_X_LABELS = 6


def _marker(shape: str, x: float, y: float, index: int) -> SafeString:
    css = f"chart-mark chart-s{index}"
    if shape == "square":
        return format_html('<rect class="{}" x="{}" y="{}" width="8" height="8"></rect>', css, x - 4, y - 4)
    if shape == "triangle":
        points = f"{x},{y - 5} {x - 5},{y + 4} {x + 5},{y + 4}"
        return format_html('<polygon class="{}" points="{}"></polygon>', css, points)
    return format_html('<circle class="{}" cx="{}" cy="{}" r="4"></circle>', css, x, y)


def _weekly_svg(chart: Chart) -> SafeString:
    count = len(chart.categories)
    legend_rows = len(chart.series) if chart.kind == "line" else 0
    legend_height = legend_rows * 20
    plot_top = PLOT_TOP + legend_height
    bottom = plot_top + PLOT_HEIGHT
    height = bottom + 52
    span = WIDTH - PLOT_LEFT - PLOT_RIGHT
    step = span / count
    known = [value for serie in chart.series for value in serie.values if value is not None]
    top = nice_ceiling(max(known, default=0))

    def y_of(value: float) -> float:
        return round(bottom - PLOT_HEIGHT * value / top, 1)

    def x_of(index: int) -> float:
        return round(PLOT_LEFT + step * (index + 0.5), 1)

    parts = []
    # Legend: the line's own dash and marker beside its name, so colour is never the only key.
    for index, serie in enumerate(chart.series if chart.kind == "line" else []):
        y = PLOT_TOP + index * 20
        parts.append(
            format_html(
                '<line class="chart-line chart-s{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke-dasharray="{}"></line>'
                '{}<text class="chart-text" x="{}" y="{}" font-size="{}">{}</text>',
                index,
                PLOT_LEFT,
                y,
                PLOT_LEFT + 36,
                y,
                DASHES[index % len(DASHES)],
                _marker(MARKERS[index % len(MARKERS)], PLOT_LEFT + 18, y, index),
                PLOT_LEFT + 44,
                y + 4,
                FONT,
                serie.name,
            )
        )
    # Grid and y axis: 0, half and the top; no half-way line at 2.5 of a count.
    counts_only = all(isinstance(value, int) for value in known)
    ticks = (0, top) if counts_only and top % 2 else (0, top / 2, top)
    for tick in ticks:
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
                '<text class="chart-text chart-muted" x="{}" y="{}" font-size="{}" text-anchor="end">{}</text>',
                PLOT_LEFT,
                y_of(tick),
                WIDTH - PLOT_RIGHT,
                y_of(tick),
                PLOT_LEFT - 6,
                y_of(tick) + 4,
                FONT,
                _number(float(tick)),
            )
        )
    parts.append(
        format_html(
            '<text class="chart-text chart-muted" x="{}" y="{}" font-size="{}" text-anchor="middle" '
            'transform="rotate(-90 {} {})">{}</text>',
            14,
            plot_top + PLOT_HEIGHT / 2,
            FONT,
            14,
            plot_top + PLOT_HEIGHT / 2,
            chart.value_label,
        )
    )
    if chart.kind == "columns":
        values = chart.series[0].values
        width = max(step * 0.6, 2)
        for index, value in enumerate(values):
            if value:
                parts.append(
                    format_html(
                        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"></rect>',
                        round(x_of(index) - width / 2, 1),
                        y_of(value),
                        round(width, 1),
                        round(bottom - y_of(value), 1),
                    )
                )
                if count <= 16:
                    parts.append(
                        format_html(
                            '<text class="chart-text" x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>',
                            x_of(index),
                            y_of(value) - 4,
                            FONT,
                            _number(value),
                        )
                    )
    else:
        for index, serie in enumerate(chart.series):
            # A week with no figure (no crisis flag answered, say) breaks the line.
            runs: list[list[tuple[float, float]]] = [[]]
            for week, value in enumerate(serie.values):
                if value is None:
                    runs.append([])
                else:
                    runs[-1].append((x_of(week), y_of(value)))
            for run in runs:
                if len(run) > 1:
                    points = " ".join(f"{x},{y}" for x, y in run)
                    parts.append(
                        format_html(
                            '<polyline class="chart-line chart-s{}" points="{}" stroke-dasharray="{}"></polyline>',
                            index,
                            points,
                            DASHES[index % len(DASHES)],
                        )
                    )
                for x, y in run:
                    parts.append(_marker(MARKERS[index % len(MARKERS)], x, y, index))
    if not any(known):
        parts.append(
            format_html(
                '<text class="chart-text" x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>',
                PLOT_LEFT + span / 2,
                plot_top + PLOT_HEIGHT / 2,
                FONT,
                "Nothing to show in these weeks",
            )
        )
    # X axis: at most MAX_X_LABELS week labels, always the first and the last.
    parts.append(
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>',
            PLOT_LEFT,
            bottom,
            WIDTH - PLOT_RIGHT,
            bottom,
        )
    )
    every = max(math.ceil(count / MAX_X_LABELS), 1)
    labelled = set(range(0, count, every))
    # The last week is always labelled; a label too close before it would overlap it.
    labelled.discard(max(labelled) if count - 1 - max(labelled) < every else -1)
    labelled.add(count - 1)
    for index in sorted(labelled):
        parts.append(
            format_html(
                '<text class="chart-text chart-muted" x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>',
                x_of(index),
                bottom + 18,
                FONT,
                chart.axis_labels[index] if chart.axis_labels else chart.categories[index],
            )
        )
    parts.append(
        format_html(
            '<text class="chart-text chart-muted" x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>',
            PLOT_LEFT + span / 2,
            bottom + 42,
            FONT,
            "Week starting (Monday)",
        )
    )
    return _frame(chart, height, _join(parts))


# --- The dashboard's charts -----------------------------------------------------------------


@dataclass(frozen=True)
class ChartSection:
    key: str
    heading: str
    charts: list[Chart]


def _week_label(week: Week, *, short: bool = False) -> str:
    day = week.start
    if short:
        return f"{day.day} {day:%b}"
    return f"{day.day} {day:%b %Y}" + (" (so far)" if week.is_current else "")


def _peak(values: Sequence[Value], labels: Sequence[str]) -> str:
    known = [(value, index) for index, value in enumerate(values) if value is not None]
    if not known:
        return "no figures yet"
    value, index = max(known, key=lambda pair: (pair[0], pair[1]))
    return f"highest {_number(value)}, in the week starting {labels[index]}"


def _weekly_summary(
    name: str, values: Sequence[Value], labels: Sequence[str], *, latest: str = "", empty: str = "none"
) -> str:
    """A sentence for the chart's ``<desc>``: the total (or, for a level such as the
    queue's size, the ``latest`` value) and the highest week."""
    if latest:
        return f"{name}, {latest}: {_number(values[-1], empty)}; {_peak(values, labels)}."
    total = sum(value or 0 for value in values)
    return f"{name}: {_number(total)} in {len(values)} weeks; {_peak(values, labels)}."


def _bar_summary(what: str, pairs: Sequence[tuple[str, int]]) -> str:
    total = sum(count for _, count in pairs)
    if not total:
        return f"No {what} in these weeks."
    label, count = max(pairs, key=lambda pair: pair[1])
    noun = what if total != 1 else what.removesuffix("s")
    return f"{_number(total)} {noun} in these weeks; the most: {label} ({_number(count)})."


def _bar(key: str, title: str, heading: str, pairs: Sequence[tuple[str, int]], what: str) -> Chart:
    return Chart(
        key=key,
        title=title,
        description=_bar_summary(what, pairs),
        kind="bar",
        category_heading=heading,
        categories=[label for label, _ in pairs],
        series=[Series(name=f"Number of {what}", values=[count for _, count in pairs])],
        value_label=f"Number of {what}",
    )


def dashboard_charts(figures: DashboardFigures) -> list[ChartSection]:
    """Every chart of the dashboard, grouped under the page's headings."""
    labels = [_week_label(week) for week in figures.weeks]
    short = [_week_label(week, short=True) for week in figures.weeks]
    weekly = {"category_heading": "Week starting", "categories": labels, "axis_labels": short}
    open_name, oldest_name = "Open flags", "Oldest open flag, days waiting"
    crisis_name, median_name = "Crisis flags raised", "Median minutes to a first response"
    members_name, discussions_name, replies_name = "New members", "New discussions", "New replies"
    queue = ChartSection(
        "queue",
        "The queue",
        [
            Chart(
                key="chart-open-flags",
                title="Open flags at the end of each week",
                description=_weekly_summary(open_name, figures.open_flags, labels, latest="now"),
                kind="line",
                series=[Series(open_name, figures.open_flags)],
                value_label="Open flags",
                **weekly,
            ),
            Chart(
                key="chart-oldest-flag",
                title="How long the oldest open flag had waited, at the end of each week",
                description=_weekly_summary(
                    oldest_name, figures.oldest_open_days, labels, latest="now", empty="none open"
                ),
                kind="line",
                series=[Series(oldest_name, figures.oldest_open_days)],
                value_label="Days",
                empty_text="none open",
                **weekly,
            ),
            _bar("chart-flags-by-reason", "Flags by reason", "Reason", figures.flags_by_reason, "flags"),
        ],
    )
    crisis = ChartSection(
        "crisis",
        "Crisis flags",
        [
            Chart(
                key="chart-crisis-flags",
                title="Crisis flags raised each week",
                description=_weekly_summary(crisis_name, figures.crisis_flags, labels)
                + f" {_number(sum(figures.crisis_unanswered))} still without a response.",
                kind="columns",
                series=[
                    Series(crisis_name, figures.crisis_flags),
                    Series("Still without a response", figures.crisis_unanswered),
                ],
                value_label="Crisis flags",
                **weekly,
            ),
            Chart(
                key="chart-crisis-response",
                title="Median time to a first response to a crisis flag, in minutes",
                description=_weekly_summary(
                    median_name,
                    figures.crisis_median_response_minutes,
                    labels,
                    latest="this week",
                    empty="no response yet",
                ),
                kind="line",
                series=[Series(median_name, figures.crisis_median_response_minutes)],
                value_label="Minutes",
                empty_text="no response yet",
                **weekly,
            ),
        ],
    )
    actions = ChartSection(
        "actions",
        "Moderation actions",
        [
            _bar("chart-actions-by-kind", "Actions by kind", "Action", figures.actions_by_kind, "actions"),
            _bar(
                "chart-actions-by-moderator",
                "Actions by moderator",
                "Moderator",
                figures.actions_by_moderator,
                "actions",
            ),
        ],
    )
    growth = ChartSection(
        "growth",
        "New members and posts",
        [
            Chart(
                key="chart-growth",
                title="New members, discussions and replies each week",
                description=" ".join(
                    _weekly_summary(name, values, labels)
                    for name, values in (
                        (members_name, figures.new_members),
                        (discussions_name, figures.new_discussions),
                        (replies_name, figures.new_replies),
                    )
                ),
                kind="line",
                series=[
                    Series(members_name, figures.new_members),
                    Series(discussions_name, figures.new_discussions),
                    Series(replies_name, figures.new_replies),
                ],
                value_label="Number each week",
                **weekly,
            ),
        ],
    )
    appeals = ChartSection(
        "appeals",
        "Appeals",
        [_bar("chart-appeals", "Appeals and their outcomes", "Outcome", figures.appeals_by_outcome, "appeals")],
    )
    return [queue, crisis, actions, growth, appeals]
