"""The moderation dashboard at /mod/dashboard/ and its CSV exports (figures, audit log):
figures rebuilt from a small constructed history, the moderation scope (a moderator of
#pots sees nothing of #mecfs, staff see the whole site), accessible SVG charts each with
a table, CSV headers and formula escaping, and no private title or anonymous author
anywhere."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.access import access_for
from community.models import Community, Membership
from discussions import services
from discussions.models import Discussion, Reply, Visibility
from moderation.charts import Chart, Series, nice_ceiling
from moderation.dashboard import dashboard_figures_for, weeks_ending_now
from moderation.models import Appeal, Flag, ModerationAction

DASHBOARD = "/mod/dashboard/"
FIGURES_CSV = "/mod/dashboard/figures.csv"
LOG_CSV = "/mod/log.csv"
CANARY = "CANARY-7f3a private title"
# A Wednesday: the four weeks start on Mondays 26 Oct, 2, 9 and 16 Nov; the last ends now.
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def set_created(row, when: datetime) -> None:
    type(row).objects.filter(pk=row.pk).update(created_at=when)


def flag(post, reason: str, created: datetime, **fields) -> Flag:
    lookup = {"reply": post} if isinstance(post, Reply) else {"discussion": post}
    made = Flag.objects.create(reason=reason, **lookup, **fields)
    set_created(made, created)
    return made


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def staff_2fa(user_factory):
    return user_factory("root", display_name="Root", is_staff=True, two_factor=True)


@pytest.fixture
def history(moderator, other_moderator, members, discussion, reply, mecfs, pots, pots_moderator, user_factory):
    """Six flags in #mecfs around the four weeks, one in #pots, members joining, two
    appeals and three actions."""
    author, other = members
    Membership.objects.filter(user=author, community=mecfs).update(created_at=at(3))
    Membership.objects.filter(user=other, community=mecfs).update(created_at=at(17))
    Membership.objects.filter(user__in=[moderator, other_moderator]).update(created_at=at(1, month=1))
    Membership.objects.filter(user=pots_moderator).update(created_at=at(10))
    waiting = user_factory("wendy")
    Membership.objects.create(user=waiting, community=mecfs, status=Membership.Status.REQUESTED)
    Membership.objects.filter(user=waiting).update(created_at=at(4))
    set_created(discussion, at(10))
    set_created(reply, at(17))

    decided = {"status": Flag.Status.ACTIONED}
    flag(discussion, Flag.Reason.SPAM, at(20, month=10), decided_at=at(28, month=10), **decided)
    flag(discussion, Flag.Reason.HARASSMENT, at(27, month=10), decided_at=at(10), **decided)
    flag(discussion, Flag.Reason.CRISIS, at(3, 10), acknowledged_at=at(3, 10, 30), decided_at=at(3, 12), **decided)
    flag(reply, Flag.Reason.CRISIS, at(4, 9), decided_at=at(4, 10, 30), **decided)
    flag(reply, Flag.Reason.SPAM, at(12))
    flag(discussion, Flag.Reason.CRISIS, at(17))

    pots_post = services.discussion_create(
        author=pots_moderator, title="Salt", body="How much salt?", hashtags=["pots"], visibility=Visibility.COMMUNITY
    )
    set_created(pots_post, at(11))
    flag(pots_post, Flag.Reason.SPAM, at(11))

    hide = ModerationAction.objects.create(
        actor=moderator, kind=ModerationAction.Kind.HIDE, community=mecfs, discussion=discussion
    )
    warn = ModerationAction.objects.create(
        actor=other_moderator, kind=ModerationAction.Kind.WARN, community=mecfs, target_user=author
    )
    remove = ModerationAction.objects.create(
        actor=moderator, kind=ModerationAction.Kind.REMOVE, community=mecfs, reply=reply
    )
    pots_action = ModerationAction.objects.create(actor=pots_moderator, kind=ModerationAction.Kind.LOCK, community=pots)
    for action, when in ((hide, at(3)), (warn, at(10)), (remove, at(17)), (pots_action, at(11))):
        set_created(action, when)
    upheld = Appeal.objects.create(action=warn, appellant=author, text="Please", status=Appeal.Status.UPHELD)
    pending = Appeal.objects.create(action=remove, appellant=other, text="Why?")
    set_created(upheld, at(11))
    set_created(pending, at(17))
    return {"discussion": discussion, "reply": reply, "pots_post": pots_post}


# --- The figures ------------------------------------------------------------------------------


def test_weeks_start_on_monday_and_the_last_ends_now():
    weeks = weeks_ending_now(4, NOW)
    assert [week.start for week in weeks] == [at(26, month=10), at(2), at(9), at(16)]
    assert weeks[-1].end == NOW and weeks[-1].is_current
    assert weeks[0].end == at(2) and not weeks[0].is_current


def test_the_queue_over_time_is_rebuilt_from_created_and_decided_times(moderator, mecfs, history):
    figures = dashboard_figures_for(moderator, mecfs, weeks=4, now=NOW)

    assert figures.open_flags == [1, 1, 1, 2]
    # The harassment flag from 27 Oct waited 6 and 13 days; then the spam flag of 12 Nov.
    assert figures.oldest_open_days == [6.0, 13.0, 4.0, 6.5]


def test_flags_crisis_members_posts_actions_and_appeals_per_week(moderator, mecfs, history):
    figures = dashboard_figures_for(moderator, mecfs, weeks=4, now=NOW)

    reasons = dict(figures.flags_by_reason)
    assert reasons["Spam or advertising"] == 1  # the one of 20 Oct is before the window
    assert reasons["Harassment or abuse"] == 1
    assert reasons["Someone may be in crisis or at risk of self-harm"] == 3
    assert reasons["Something else"] == 0
    assert figures.crisis_flags == [0, 2, 0, 1]
    # 30 minutes (acknowledged first) and 90 minutes (decided, never acknowledged).
    assert figures.crisis_median_response_minutes == [None, 60, None, None]
    assert figures.crisis_unanswered == [0, 0, 0, 1]
    assert figures.crisis_unanswered_total == 1
    # Join requests are not members; moderators joined long before.
    assert figures.new_members == [0, 1, 0, 1]
    assert figures.new_discussions == [0, 0, 1, 0]
    assert figures.new_replies == [0, 0, 0, 1]
    assert figures.actions_by_moderator == [("Sam", 2), ("Kim", 1)]
    assert dict(figures.actions_by_kind) == {"Hid pending review": 1, "Warned": 1, "Removed": 1}
    assert dict(figures.appeals_by_outcome) == {
        "Waiting for a moderator": 1,
        "The decision stands": 1,
        "The decision was reversed": 0,
    }


def test_a_moderator_of_two_communities_sees_both_and_staff_see_the_whole_site(
    moderator, staff_2fa, mecfs, pots, history
):
    Membership.objects.create(user=moderator, community=pots, role=Membership.Role.MODERATOR)
    both = dashboard_figures_for(moderator, weeks=4, now=NOW)
    assert both.open_flags == [1, 1, 2, 3]
    assert both.new_discussions == [0, 0, 2, 0]
    assert dict(both.actions_by_kind)["Locked"] == 1

    site = dashboard_figures_for(staff_2fa, weeks=4, now=NOW)
    assert site.open_flags == both.open_flags
    assert dict(site.actions_by_moderator) == {"Sam": 2, "Kim": 1, "Dee": 1}
    narrowed = dashboard_figures_for(staff_2fa, pots, weeks=4, now=NOW)
    assert narrowed.open_flags == [0, 0, 1, 1]
    assert narrowed.new_members == [0, 0, 1, 0]


def test_weeks_outside_the_bounds_are_refused(moderator):
    with pytest.raises(ValueError):
        dashboard_figures_for(moderator, weeks=3)
    with pytest.raises(ValueError):
        dashboard_figures_for(moderator, weeks=53)


# --- The page ----------------------------------------------------------------------------------


def test_the_page_has_a_chart_with_title_desc_and_a_table_for_each_figure(login, moderator, mecfs, history):
    response = login(moderator).get(DASHBOARD, {"community": "mecfs"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Moderation dashboard for #mecfs" in html
    assert 'aria-current="page">Dashboard</a>' in html
    charts = html.count('role="img"')
    assert charts == 9
    assert html.count("<title id=") == charts and html.count("<desc id=") == charts
    assert html.count("Show the figures as a table") == charts
    assert html.count("<caption>") == charts
    assert '<th scope="col">Week starting</th>' in html and '<th scope="row">' in html
    assert "<script" not in html.split("<main", 1)[-1]
    assert "/mod/dashboard/figures.csv?community=mecfs&amp;weeks=12" in html
    assert "/mod/log.csv?community=mecfs" in html


def test_the_default_is_all_a_moderators_communities_and_the_whole_site_for_staff(login, moderator, staff_2fa, history):
    assert "for all your communities" in login(moderator).get(DASHBOARD).content.decode()
    assert "for the whole site" in login(staff_2fa).get(DASHBOARD).content.decode()


@pytest.mark.parametrize("weeks", ["3", "53", "abc", "1e3"])
def test_a_window_out_of_bounds_is_a_400_with_the_reason_and_the_typed_value(login, moderator, mecfs, weeks):
    response = login(moderator).get(DASHBOARD, {"weeks": weeks})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist"' in html and f'value="{weeks}"' in html
    assert 'role="img"' not in html
    assert login(moderator).get(FIGURES_CSV, {"weeks": weeks}).status_code == 400


def test_a_year_of_weeks_works(login, moderator, history):
    response = login(moderator).get(DASHBOARD, {"weeks": "52"})
    assert response.status_code == 200
    assert response.content.decode().count("Week starting") >= 5


@pytest.mark.parametrize("url", [DASHBOARD, FIGURES_CSV, LOG_CSV])
def test_a_moderator_of_pots_gets_404_for_mecfs_and_members_get_404(
    login, client, url, pots_moderator, members, mecfs, history
):
    assert login(pots_moderator).get(url, {"community": "mecfs"}).status_code == 404
    assert login(pots_moderator).get(url, {"community": "nosuch"}).status_code == 404
    assert login(pots_moderator).get(url, {"community": "me\x00cfs"}).status_code == 404
    assert login(members[0]).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_moderator_of_pots_counts_nothing_of_mecfs(pots_moderator, history):
    figures = dashboard_figures_for(pots_moderator, weeks=4, now=NOW)
    assert figures.open_flags == [0, 0, 1, 1]
    assert figures.crisis_flags == [0, 0, 0, 0]
    assert figures.actions_by_moderator == [("Dee", 1)]


def test_the_page_reads_a_bounded_number_of_queries(login, moderator, mecfs, history, django_assert_max_num_queries):
    client = login(moderator)
    with django_assert_max_num_queries(20):
        client.get(DASHBOARD, {"community": "mecfs", "weeks": "52"})
    for _ in range(5):
        flag(history["discussion"], Flag.Reason.OTHER, timezone.now() - timedelta(days=3))
    with django_assert_max_num_queries(20):
        client.get(DASHBOARD, {"weeks": "4"})


def test_a_year_costs_no_more_queries_than_a_month(moderator, mecfs, history):
    counts = []
    access_for(moderator)  # loaded by the request before the figures are asked for
    for weeks in (4, 52):
        with CaptureQueriesContext(connection) as queries:
            dashboard_figures_for(moderator, mecfs, weeks=weeks, now=NOW)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


# --- No private title, no anonymous author ---------------------------------------------------------


@pytest.fixture
def private_post(user_factory, community_factory, mecfs, moderator, staff_2fa):
    """A discussion in a private community the #mecfs moderator is not in, hidden by staff
    in an entry filed under #mecfs (as when it sat there before it moved), and an
    anonymous one in #mecfs whose author a moderator revealed."""
    secret = community_factory("secret", policy=Community.Policy.PRIVATE)
    insider = user_factory("insider_q7")
    Membership.objects.create(user=insider, community=secret)
    Membership.objects.create(user=insider, community=mecfs)
    post = services.discussion_create(
        author=insider, title=CANARY, body=CANARY, hashtags=["secret"], visibility=Visibility.COMMUNITY
    )
    Flag.objects.create(discussion=post, reason=Flag.Reason.CRISIS, detail=CANARY)
    ModerationAction.objects.create(
        actor=staff_2fa, kind=ModerationAction.Kind.HIDE, community=mecfs, discussion=post, after={"role": "staff"}
    )
    anonymous = services.discussion_create(
        author=insider, title="Anon", body="Quietly", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    Discussion.objects.filter(pk=anonymous.pk).update(is_anonymous=True)
    ModerationAction.objects.create(
        actor=moderator,
        kind=ModerationAction.Kind.REVEAL,
        community=mecfs,
        discussion=anonymous,
        target_user=insider,
        reason="Safeguarding",
        after={"role": "community moderator"},
    )
    return post


@pytest.mark.parametrize("who", ["moderator", "staff_2fa"])
def test_no_private_title_or_anonymous_author_anywhere(request, login, mecfs, private_post, who):
    client = login(request.getfixturevalue(who))
    for url in (DASHBOARD, FIGURES_CSV, LOG_CSV):
        for query in ({}, {"community": "mecfs"}):
            body = client.get(url, query).content.decode()
            assert CANARY not in body and "CANARY" not in body
            assert "insider_q7" not in body


def test_the_moderator_counts_only_posts_they_may_moderate(moderator, mecfs, private_post):
    figures = dashboard_figures_for(moderator, mecfs, weeks=4)
    assert figures.open_flags[-1] == 0
    assert figures.new_discussions[-1] == 1  # the anonymous one; not the private one


# --- CSV ------------------------------------------------------------------------------------------


def test_the_figures_csv_is_an_attachment_with_every_figure(login, moderator, mecfs, history):
    response = login(moderator).get(FIGURES_CSV, {"community": "mecfs", "weeks": "12"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="spoonful-dashboard-mecfs-')
    assert "no-store" in response["Cache-Control"]
    rows = rows_of(response)
    assert rows[0] == ["figure", "week starting", "category", "value"]
    figures = {row[0] for row in rows[1:]}
    assert {"open flags at the end of the week", "new members", "actions by moderator", "appeals by outcome"} <= figures
    assert sum(1 for row in rows if row[0] == "new replies") == 12
    assert ["actions by moderator", "", "Sam", "2"] in rows


def test_the_log_csv_has_the_log_pages_fields_and_scope(login, moderator, pots_moderator, mecfs, history):
    response = login(moderator).get(LOG_CSV, {"community": "mecfs"})

    assert response["Content-Disposition"].startswith('attachment; filename="spoonful-moderation-log-mecfs-')
    rows = rows_of(response)
    assert rows[0] == [
        "time",
        "action",
        "acting role",
        "moderator",
        "community",
        "target kind",
        "target",
        "guideline",
        "reason",
    ]
    kinds = [row[1] for row in rows[1:]]
    assert kinds == ["Removed", "Warned", "Hid pending review"]
    assert rows[1][5:7] == ["reply", str(history["reply"].pk)]
    assert rows[2][5:7] == ["member", "alice"]
    assert "Locked" not in response.content.decode()
    pots_rows = rows_of(login(pots_moderator).get(LOG_CSV))
    assert [row[1] for row in pots_rows[1:]] == ["Locked"]


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_escaped(login, moderator, mecfs):
    for reason in ('=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "\tx", "plain - text"):
        ModerationAction.objects.create(
            actor=moderator, kind=ModerationAction.Kind.LOCK, community=mecfs, reason=reason
        )

    rows = rows_of(login(moderator).get(LOG_CSV))
    reasons = {row[-1] for row in rows[1:]}
    assert reasons == {'\'=HYPERLINK("http://evil.example","x")', "'+1+1", "'-2", "'@SUM(A1)", "'\tx", "plain - text"}


def test_a_moderator_name_that_looks_like_a_formula_is_escaped_in_the_figures(login, moderator, mecfs):
    moderator.display_name = "=cmd|' /C calc'!A0"
    moderator.save(update_fields=["display_name"])
    ModerationAction.objects.create(actor=moderator, kind=ModerationAction.Kind.LOCK, community=mecfs)

    rows = rows_of(login(moderator).get(FIGURES_CSV))
    assert ["actions by moderator", "", "'=cmd|' /C calc'!A0", "1"] in rows


def test_the_log_page_and_the_dashboard_link_to_the_exports(login, moderator, mecfs):
    html = login(moderator).get("/mod/log/", {"community": "mecfs"}).content.decode()
    assert 'href="/mod/log.csv?community=mecfs"' in html
    assert 'href="/mod/dashboard/?community=mecfs"' in html


# --- Charts -----------------------------------------------------------------------------------------


def test_charts_escape_their_text_and_tell_series_apart_without_colour():
    chart = Chart(
        key="c",
        title="<b>Title</b>",
        description="Desc & more",
        kind="line",
        category_heading="Week starting",
        categories=["a", "b", "c"],
        series=[Series("One", [1, 2, None]), Series("Two <i>", [0, 3, 4])],
        value_label="Count",
    )
    svg = str(chart.svg)
    assert "<b>" not in svg and "&lt;b&gt;Title&lt;/b&gt;" in svg and "Desc &amp; more" in svg
    assert 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert 'stroke-dasharray="7 4"' in svg and "<rect" in svg and "<circle" in svg
    assert chart.rows == [("a", ["1", "0"]), ("b", ["2", "3"]), ("c", ["none", "4"])]


def test_the_axis_top_is_a_round_number():
    assert [nice_ceiling(value) for value in (0, 0.4, 1, 3, 7, 12, 99, 101)] == [1, 0.5, 1, 5, 10, 20, 100, 200]
