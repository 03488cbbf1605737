from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from discussions import services
from discussions.models import Discussion, Visibility
from moderation import crisis
from moderation.crisis import keyword_matches, validate_keyword_pattern
from moderation.models import Flag, KeywordRule
from moderation.screening import keyword_rule_create, screen_post, screening_record

# What RE2 cannot run, or what no rule may be, with the reason the moderator is given.
REFUSED = [
    (r"(\w)\1", "Backreferences"),
    ("(?P<w>a)(?P=w)", "Backreferences"),
    ("(?=spam)", "Lookahead and lookbehind"),
    ("(?<!x)spam", "Lookahead and lookbehind"),
    ("(?>spam)", "Atomic groups"),
    ("spam++", "Possessive repeats"),
    ("x{1,100000}", "at most 1000"),
    (r"\pL{1,1000}", "too large"),
    ("[unclosed", "not a valid pattern"),
    ("a" * 201, "at most 200 characters"),
    ("spam\x00", "control characters"),
    ("", "Write a word"),
]

# Patterns that backtracking engines can take exponential time on: RE2 runs them in linear time, so they
# are ordinary rules now.
CATASTROPHIC = {"(a+)+$": False, "(a*)*b": False, "(.*a){12}": True, "(a|aa){1,20}$": False, "(x+x+)+y": False}

SAFE = ["spam", "cheap (pills|meds)", r"buy\s{1,3}now", "miracle cure", r"\d{3} \d{3} \d{4}", "colou?r", "(?i)spam"]


@pytest.mark.parametrize("pattern, reason", REFUSED)
def test_patterns_re2_cannot_run_are_refused_with_the_reason(pattern, reason):
    with pytest.raises(ValidationError) as refused:
        validate_keyword_pattern(pattern, is_regex=True)
    assert reason.lower() in refused.value.messages[0].lower()


@pytest.mark.parametrize("pattern", SAFE + list(CATASTROPHIC))
def test_safe_patterns_are_accepted(pattern):
    validate_keyword_pattern(pattern, is_regex=True)


def test_an_unsafe_rule_cannot_be_saved_by_any_path(db):
    with pytest.raises(ValidationError):
        KeywordRule.objects.create(pattern="(?=spam)", is_regex=True)
    assert not KeywordRule.objects.exists()


def test_plain_rules_match_whole_words_without_case():
    assert keyword_matches("miracle cure", is_regex=False, text="Try this MIRACLE  cure today")
    assert not keyword_matches("cure", is_regex=False, text="secure your account")
    assert keyword_matches("cure", is_regex=False, text="cure")


def test_plain_rules_keep_unicode_word_boundaries_and_case():
    assert keyword_matches("café", is_regex=False, text="Un CAFÉ, s'il vous plaît")
    assert not keyword_matches("café", is_regex=False, text="les cafés")
    assert not keyword_matches("cure", is_regex=False, text="écure")
    assert keyword_matches("miracle cure", is_regex=False, text="miracle\u00a0cure")


def test_regex_rules_fold_unicode_case():
    assert keyword_matches("σοφία", is_regex=True, text="ΣΟΦΊΑ")
    assert keyword_matches(r"stra(ss|ß)e", is_regex=True, text="STRASSE")
    assert keyword_matches(r"\pL{2} cure", is_regex=True, text="ÉÉ CURE")


@pytest.mark.parametrize("pattern, matches", CATASTROPHIC.items())
def test_catastrophic_patterns_finish_on_huge_text(pattern, matches):
    # No timing assertion: that this returns at all is the test (a backtracking engine would not, here).
    # The matcher itself, since screening would cut the text to MAX_SCREENED_CHARS first.
    matcher = crisis.compile_keyword_pattern(pattern, is_regex=True)
    assert (matcher.search("a" * 100_000 + "!") is not None) is matches


def test_a_nested_repeat_still_matches_what_it_should():
    assert keyword_matches("(a+)+$", is_regex=True, text="a" * 100_000)


def test_screening_compiles_an_unchanged_rule_once(members, mecfs, moderator):
    keyword_rule_create(acting_user=moderator, community=mecfs, pattern="cheap (pills|meds)", is_regex=True)
    crisis._compile.cache_clear()
    for _ in range(3):
        _screen(members[0], [mecfs], "no match here")
    assert crisis._compile.cache_info().misses == 1


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
