"""Screening at posting time: the keyword rules moderators keep, and the checks a post
passes before it is saved (rules, new-account holds, crisis words); then the system
flags it files once the post exists.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from community.models import Community
from discussions.models import Discussion, DiscussionTag, Reply
from moderation.audit import Post, acting_role, post_lookup, record_action, require_community_moderator
from moderation.crisis import MAX_SCREENED_CHARS, compile_keyword_pattern, find_crisis_phrases
from moderation.crisis_alerts import crisis_alert_enqueue
from moderation.models import Flag, KeywordRule, ModerationAction

logger = logging.getLogger(__name__)


# --- Keyword rules ------------------------------------------------------------------------


def _require_rule_right(acting_user: User, community: Community | None) -> None:
    """Moderators keep the rules of their communities; site-wide rules are staff only."""
    if community is None:
        if not acting_user.is_staff:
            raise PermissionDenied("Only staff can keep site-wide rules.")
    else:
        require_community_moderator(acting_user, community)


def _rule_state(rule: KeywordRule) -> dict:
    return {
        "rule_id": rule.pk,
        "pattern": rule.pattern,
        "is_regex": rule.is_regex,
        "action": rule.action,
        "message": rule.message,
        "community": rule.community.slug if rule.community else "",
        "is_active": rule.is_active,
    }


def _checked_action(action: str) -> str:
    if action not in KeywordRule.Action.values:
        raise ValidationError("Choose what the rule does: hold, flag or refuse.")
    return action


def keyword_rule_create(
    *,
    acting_user: User,
    community: Community | None,
    pattern: str,
    is_regex: bool = False,
    action: str = KeywordRule.Action.FLAG,
    message: str = "",
) -> KeywordRule:
    """Moderators add rules for their community; site-wide rules are staff only."""
    _require_rule_right(acting_user, community)
    with transaction.atomic():
        rule = KeywordRule(
            community=community,
            pattern=pattern.strip(),
            is_regex=is_regex,
            action=_checked_action(action),
            message=message.strip()[:300],
            created_by=acting_user,
        )
        rule.save()
        record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.KEYWORD_RULE,
            community=community,
            reason="Added a keyword rule.",
            after={**_rule_state(rule), "change": "added", "role": acting_role(acting_user)},
        )
    return rule


def keyword_rule_update(
    *,
    acting_user: User,
    rule: KeywordRule,
    community: Community | None,
    pattern: str,
    is_regex: bool = False,
    action: str = KeywordRule.Action.FLAG,
    message: str = "",
) -> KeywordRule:
    """Change a rule: the actor must keep both the rule's community and the one it moves to."""
    with transaction.atomic():
        rule = KeywordRule.objects.select_for_update(of=("self",)).select_related("community").get(pk=rule.pk)
        _require_rule_right(acting_user, rule.community)
        _require_rule_right(acting_user, community)
        before = _rule_state(rule)
        rule.community = community
        rule.pattern = pattern.strip()
        rule.is_regex = is_regex
        rule.action = _checked_action(action)
        rule.message = message.strip()[:300]
        rule.save()
        record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.KEYWORD_RULE,
            community=community,
            reason="Changed a keyword rule.",
            before=before,
            after={**_rule_state(rule), "change": "changed", "role": acting_role(acting_user)},
        )
    return rule


def keyword_rule_delete(*, acting_user: User, rule: KeywordRule) -> ModerationAction:
    """Delete a rule; the log keeps what it was."""
    with transaction.atomic():
        rule = KeywordRule.objects.select_for_update(of=("self",)).select_related("community").get(pk=rule.pk)
        _require_rule_right(acting_user, rule.community)
        before = _rule_state(rule)
        community = rule.community
        rule.delete()
        return record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.KEYWORD_RULE,
            community=community,
            reason="Deleted a keyword rule.",
            before=before,
            after={"change": "deleted", "role": acting_role(acting_user)},
        )


def keyword_rule_switch(*, acting_user: User, rule: KeywordRule, on: bool) -> KeywordRule:
    """Switch a rule off (kept and listed, but screening skips it) or back on."""
    with transaction.atomic():
        rule = KeywordRule.objects.select_for_update(of=("self",)).select_related("community").get(pk=rule.pk)
        _require_rule_right(acting_user, rule.community)
        if rule.is_active == on:
            return rule
        before = _rule_state(rule)
        rule.is_active = on
        rule.save(update_fields=["is_active"])
        record_action(
            acting_user=acting_user,
            kind=ModerationAction.Kind.KEYWORD_RULE,
            community=rule.community,
            reason="Switched a keyword rule on." if on else "Switched a keyword rule off.",
            before=before,
            after={**_rule_state(rule), "change": "on" if on else "off", "role": acting_role(acting_user)},
        )
    return rule


@dataclass(frozen=True)
class RulePreview:
    """What a rule would do to a sample text (nothing is saved)."""

    matched: bool
    action: str
    outcome: str


PREVIEW_OUTCOMES = {
    KeywordRule.Action.HOLD: "The post would be held until a moderator approves it.",
    KeywordRule.Action.FLAG: "The post would be published and flagged for a moderator.",
    KeywordRule.Action.REFUSE: "The post would be refused with the rule's message.",
}


def keyword_rule_preview(*, pattern: str, is_regex: bool, action: str, text: str) -> RulePreview:
    """Match a (validated) pattern against a sample text the way screening does."""
    matcher = compile_keyword_pattern(pattern.strip(), is_regex=is_regex)
    matched = matcher.search(text[:MAX_SCREENED_CHARS]) is not None
    outcome = PREVIEW_OUTCOMES.get(action, "") if matched else "The rule would not match; the post goes through."
    return RulePreview(matched=matched, action=action, outcome=outcome)


# --- Screening a post ---------------------------------------------------------------------


@dataclass
class Screening:
    """What the posting-time checks decided about a post that is about to be written."""

    refused: bool = False
    refusal_message: str = ""
    hold: bool = False
    hold_reasons: list[str] = field(default_factory=list)
    # (Flag.Reason, detail) pairs filed as system flags once the post exists.
    flags: list[tuple[str, str]] = field(default_factory=list)
    crisis: bool = False


DEFAULT_REFUSAL = "This post can't be published as written. Please check the community guidelines."


def _posts_by_in(author: User, community: Community) -> int:
    tagged = DiscussionTag.objects.filter(tag_id=community.tag_id).values("content_object_id")
    discussions = Discussion.objects.filter(author=author, pk__in=tagged).count()
    replies = Reply.objects.filter(author=author, discussion_id__in=tagged).count()
    return discussions + replies


def _new_account_hold_applies(author: User, community: Community, *, now: datetime) -> bool:
    """A community's moderators may hold the first N posts of each member, every post of
    accounts younger than D days, or (both set) the first N posts of such accounts; 0 in
    both is no hold."""
    holds, days = community.new_account_hold_posts, community.new_account_days
    if not holds and not days:
        return False
    if days and author.date_joined <= now - timedelta(days=days):
        return False
    return not holds or _posts_by_in(author, community) < holds


def screen_post(*, author: User, communities, title: str = "", body: str) -> Screening:
    """Check a post before it is saved: keyword rules, new-account holds, crisis words.

    Crisis words never refuse or hold a post; they mark it for the top of the
    queue and tell the caller to show the poster crisis resources.
    """
    communities = list(communities)
    text = f"{title}\n{body}"[:MAX_SCREENED_CHARS]
    screening = Screening()

    rules = KeywordRule.objects.filter(
        Q(community__isnull=True) | Q(community__in=communities), is_active=True
    ).order_by("pk")
    for rule in rules:
        try:
            matcher = compile_keyword_pattern(rule.pattern, is_regex=rule.is_regex)
        except ValidationError:
            logger.warning("keyword rule %s is not safe and was skipped", rule.pk)
            continue
        if matcher.search(text) is None:
            continue
        if rule.action == KeywordRule.Action.REFUSE:
            screening.refused = True
            screening.refusal_message = rule.message or DEFAULT_REFUSAL
            return screening
        if rule.action == KeywordRule.Action.HOLD:
            screening.hold = True
            screening.hold_reasons.append("keyword rule")
            screening.flags.append((Flag.Reason.OTHER, f"Held by keyword rule {rule.pk}: {rule.pattern}"[:500]))
        else:
            screening.flags.append((Flag.Reason.OTHER, f"Keyword rule {rule.pk}: {rule.pattern}"[:500]))

    now = timezone.now()
    for community in communities:
        if _new_account_hold_applies(author, community, now=now):
            screening.hold = True
            screening.hold_reasons.append("new account")
            break

    matches = find_crisis_phrases(text)
    if matches:
        screening.crisis = True
        phrases = ", ".join(sorted({match.phrase for match in matches}))
        screening.flags.append((Flag.Reason.CRISIS, f"Crisis words: {phrases}"[:500]))
    return screening


def screening_record(*, post: Post, screening: Screening) -> list[Flag]:
    """File the screening's system flags for a post just created (call in the same
    transaction); crisis words also alert the moderators once it commits."""
    if any(reason == Flag.Reason.CRISIS for reason, _ in screening.flags):
        crisis_alert_enqueue(post)
    return [
        Flag.objects.create(flagger=None, reason=reason, detail=detail, **post_lookup(post))
        for reason, detail in screening.flags
    ]
