import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from discussions import services
from discussions.models import Discussion, Visibility
from moderation.crisis import keyword_matches, validate_keyword_pattern
from moderation.models import Flag, KeywordRule
from moderation.screening import keyword_rule_create, screen_post, screening_record

CATASTROPHIC = [
    "(a+)+$",
    "(a*)*b",
    "(.*a){12}",
    "(a|aa){1,20}",
    "(a|a?){1,20}b",
    r"(\w)\1",
    "(?=spam)",
    "(?<!x)spam",
    "x{1,100000}",
    "[a-z]{1,20}[a-z]{1,20}[a-z]{1,20}",
    "(?i)spam",
    "a" * 201,
    "spam\x00",
    "",
]

SAFE = ["spam", "cheap (pills|meds)", r"buy\s{1,3}now", "miracle cure", r"\d{3} \d{3} \d{4}", "colou?r"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_or_unbounded_patterns_are_refused(pattern):
    with pytest.raises(ValidationError):
        validate_keyword_pattern(pattern, is_regex=True)


@pytest.mark.parametrize("pattern", SAFE)
def test_safe_patterns_are_accepted(pattern):
    validate_keyword_pattern(pattern, is_regex=True)


def test_an_unsafe_rule_cannot_be_saved_by_any_path(db):
    with pytest.raises(ValidationError):
        KeywordRule.objects.create(pattern="(a+)+", is_regex=True)
    assert not KeywordRule.objects.exists()


def test_plain_rules_match_whole_words_without_case():
    assert keyword_matches("miracle cure", is_regex=False, text="Try this MIRACLE  cure today")
    assert not keyword_matches("cure", is_regex=False, text="secure your account")


def test_matching_the_worst_allowed_pattern_on_huge_text_is_fast():
    worst = "[a-z]{0,20}[a-z]{0,20}x"  # inside the budget: the slowest kind still allowed
    validate_keyword_pattern(worst, is_regex=True)
    started = time.process_time()
    keyword_matches(worst, is_regex=True, text="a" * 1_000_000)
    assert time.process_time() - started < 2


def _screen(author, communities, body, title="A question"):
    return screen_post(author=author, communities=communities, title=title, body=body)


def test_a_refuse_rule_refuses_with_its_message(members, mecfs, moderator):
    keyword_rule_create(
        acting_user=moderator, community=mecfs, pattern="miracle cure", action="refuse", message="No cure claims."
    )
    screening = _screen(members[0], [mecfs], "I found a miracle cure!")
    assert screening.refused and screening.refusal_message == "No cure claims."


def test_hold_and_flag_rules_and_site_wide_rules(members, mecfs, moderator, staff):
    keyword_rule_create(acting_user=moderator, community=mecfs, pattern=r"buy\s{1,3}now", is_regex=True, action="hold")
    keyword_rule_create(acting_user=staff, community=None, pattern="casino", action="flag")
    screening = _screen(members[0], [mecfs], "Buy now at the casino")
    assert screening.hold and not screening.refused
    assert [reason for reason, _ in screening.flags] == [Flag.Reason.OTHER, Flag.Reason.OTHER]


def test_only_staff_make_site_wide_rules_and_other_communities_rules_do_not_apply(moderator, members, mecfs, pots):
    with pytest.raises(Exception, match="staff"):
        keyword_rule_create(acting_user=moderator, community=None, pattern="x")
    KeywordRule.objects.create(community=pots, pattern="salt", action="refuse")
    assert not _screen(members[0], [mecfs], "salt loading").refused


def test_new_accounts_are_held_for_their_first_posts(members, mecfs, moderator):
    author = members[0]
    mecfs.new_account_hold_posts, mecfs.new_account_days = 2, 7
    mecfs.save()
    assert _screen(author, [mecfs], "Hello").hold
    # The account ages past the window: no hold.
    author.date_joined = timezone.now() - timedelta(days=8)
    author.save()
    assert not _screen(author, [mecfs], "Hello").hold


def test_new_account_hold_ends_after_n_posts(members, mecfs):
    author = members[0]
    mecfs.new_account_hold_posts, mecfs.new_account_days = 1, 7
    mecfs.save()
    services.discussion_create(
        author=author, title="First", body="Hi", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    assert not _screen(author, [mecfs], "Second").hold


def test_crisis_words_never_block_but_flag_for_the_top_of_the_queue(members, mecfs, moderator):
    screening = _screen(members[0], [mecfs], "I can't go on like this. I want to die.")
    assert screening.crisis and not screening.hold and not screening.refused
    discussion = services.discussion_create(
        author=members[0], title="Tonight", body="I want to die.", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    flags = screening_record(post=discussion, screening=screening)
    assert [flag.reason for flag in flags] == [Flag.Reason.CRISIS]
    assert flags[0].is_system
    assert Discussion.objects.get(pk=discussion.pk).status == Discussion.Status.PUBLISHED
