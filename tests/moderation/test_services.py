from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from community.models import Membership
from discussions import services
from discussions.models import Discussion, Reply, Revision
from moderation.appeals import appeal_create, appeal_decide
from moderation.audit import AlreadyHandled
from moderation.flags import flag_create
from moderation.member_actions import (
    join_request_decide,
    member_ban,
    member_mute,
    member_suspend,
    member_warn,
    sanction_lift,
)
from moderation.models import Flag, ModerationAction, ModerationNotice, Sanction
from moderation.post_actions import (
    flags_dismiss,
    moderation_purge_expired,
    post_approve,
    post_hide,
    post_redact,
    post_remove,
    post_restore,
    post_reveal_author,
)
from moderation.selectors import can_post, is_suspended, posting_refusal
from moderation.services import discussion_lock, discussion_pin, discussion_retag, discussion_unlock, discussion_unpin


def test_it_removes_a_reply_keeping_its_number_with_guideline_and_reason(
    moderator, reply, django_capture_on_commit_callbacks
):
    Flag.objects.create(flagger=reply.discussion.author, reply=reply, reason=Flag.Reason.SPAM)
    count_before = Discussion.objects.get(pk=reply.discussion_id).published_reply_count

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        action = post_remove(acting_user=moderator, post=reply, guideline=3, reason="Advertising")

    reply.refresh_from_db()
    assert reply.status == Reply.Status.REMOVED
    assert (reply.number, reply.removal_guideline, reply.removal_reason) == (1, 3, "Advertising")
    assert Discussion.objects.get(pk=reply.discussion_id).published_reply_count == count_before - 1
    assert action.kind == ModerationAction.Kind.REMOVE
    assert action.before["status"] == "published" and action.after["status"] == "removed"
    assert action.actor == moderator and action.community.slug == "mecfs"
    assert Flag.objects.get(reply=reply).status == Flag.Status.ACTIONED
    notice = ModerationNotice.objects.get(user=reply.author)
    assert "guideline 3" in notice.message and "Advertising" in notice.message
    assert callbacks, "a live update and an email are scheduled after commit"


def test_notice_email_carries_no_health_content(moderator, reply, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_remove(acting_user=moderator, post=reply, guideline=2, reason="Miracle pills for ME")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [reply.author.email]
    text = message.subject + message.body
    for forbidden in ("mecfs", "ME/CFS", "pills", "Miracle", "guideline"):
        assert forbidden not in text
    assert "http://127.0.0.1:8000/notifications/" in message.body


def test_a_moderator_of_another_community_cannot_act(pots_moderator, reply, discussion):
    for service in (post_remove, post_hide, flags_dismiss):
        with pytest.raises(PermissionDenied):
            service(acting_user=pots_moderator, post=reply)
    with pytest.raises(PermissionDenied):
        discussion_lock(acting_user=pots_moderator, discussion=discussion)
    with pytest.raises(PermissionDenied):
        post_reveal_author(acting_user=pots_moderator, post=reply, reason="curious")
    assert not ModerationAction.objects.exists()


def test_a_plain_member_cannot_act(member, reply):
    with pytest.raises(PermissionDenied):
        post_remove(acting_user=member, post=reply)


def test_staff_moderate_everywhere(staff, reply):
    post_hide(acting_user=staff, post=reply)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.HIDDEN


def test_hide_then_restore_then_second_restore_is_already_handled(moderator, reply):
    post_hide(acting_user=moderator, post=reply, reason="Checking a claim")
    post_restore(acting_user=moderator, post=reply)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PUBLISHED
    with pytest.raises(AlreadyHandled, match="Already handled"):
        post_restore(acting_user=moderator, post=reply)
    assert list(ModerationAction.objects.values_list("kind", flat=True).order_by("pk")) == ["hide", "restore"]


def test_removing_twice_tells_the_second_moderator_who_did_it(moderator, other_moderator, reply):
    post_remove(acting_user=moderator, post=reply)
    with pytest.raises(AlreadyHandled, match="Sam"):
        post_remove(acting_user=other_moderator, post=Reply.objects.get(pk=reply.pk))
    assert ModerationAction.objects.count() == 1


def test_approving_a_held_reply_publishes_it_and_counts_it(moderator, reply, django_capture_on_commit_callbacks):
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.HELD)
    Discussion.objects.filter(pk=reply.discussion_id).update(published_reply_count=0)
    reply.refresh_from_db()
    post_approve(acting_user=moderator, post=reply)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PUBLISHED
    assert Discussion.objects.get(pk=reply.discussion_id).published_reply_count == 1


def test_an_unknown_guideline_number_is_refused(moderator, reply):
    with pytest.raises(ValidationError, match="no guideline 9"):
        post_remove(acting_user=moderator, post=reply, guideline=9)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PUBLISHED


def test_redaction_keeps_the_rest_and_the_original_only_in_the_audit_row(moderator, discussion, member):
    services.discussion_edit(
        acting_user=member, discussion=discussion, title=discussion.title, body=discussion.body + " Thanks!"
    )
    action = post_redact(acting_user=moderator, post=discussion, span="07700 900123", reason="Phone")

    discussion.refresh_from_db()
    assert "07700 900123" not in discussion.body
    assert "[removed: personal data]" in discussion.body and "What helps you pace" in discussion.body
    assert "07700" not in discussion.body_html and "[removed: personal data]" in discussion.body_html
    assert not Revision.objects.filter(body__contains="07700").exists()
    assert "07700 900123" in action.before["body"]
    assert action.purge_after > timezone.now() + timedelta(days=30)

    assert moderation_purge_expired(now=action.purge_after + timedelta(seconds=1)) == 1
    action.refresh_from_db()
    assert "body" not in action.before and action.purge_after is None


def test_redaction_refuses_text_that_is_not_there(moderator, discussion):
    with pytest.raises(ValidationError, match="does not appear"):
        post_redact(acting_user=moderator, post=discussion, span="not in the post")


def test_lock_unlock_pin_unpin_are_audited_and_idempotent(moderator, discussion):
    discussion_lock(acting_user=moderator, discussion=discussion)
    with pytest.raises(AlreadyHandled):
        discussion_lock(acting_user=moderator, discussion=discussion)
    discussion_unlock(acting_user=moderator, discussion=discussion)
    discussion_pin(acting_user=moderator, discussion=discussion)
    discussion_unpin(acting_user=moderator, discussion=discussion)
    discussion.refresh_from_db()
    assert not discussion.is_locked and not discussion.is_pinned
    kinds = list(ModerationAction.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["lock", "unlock", "pin", "unpin"]


def test_retag_moves_a_discussion_under_the_placement_rules(moderator, discussion, pots, pots_moderator):
    action = discussion_retag(acting_user=moderator, discussion=discussion, hashtags=["#cfs", "pots"])
    assert sorted(discussion.tags.names()) == ["mecfs", "pots"]
    assert action.before["hashtags"] == ["mecfs"] and action.after["hashtags"] == ["mecfs", "pots"]
    with pytest.raises(ValidationError):  # #pots is not theirs to take it out of
        discussion_retag(acting_user=moderator, discussion=discussion, hashtags=["mecfs"])
    Membership.objects.create(user=moderator, community=pots, role=Membership.Role.MODERATOR)
    discussion_retag(acting_user=moderator, discussion=discussion, hashtags=["mecfs"])
    assert sorted(discussion.tags.names()) == ["mecfs"]


def test_reveal_needs_a_reason_and_is_audited(moderator, members, discussion):
    _, other = members
    anonymous = services.reply_create(author=other, discussion=discussion, body="Quietly", is_anonymous=True)
    with pytest.raises(ValidationError):
        post_reveal_author(acting_user=moderator, post=anonymous, reason="  ")
    assert post_reveal_author(acting_user=moderator, post=anonymous, reason="Threats") == other
    entry = ModerationAction.objects.get(kind=ModerationAction.Kind.REVEAL)
    assert (entry.actor, entry.target_user, entry.reason, entry.reply) == (moderator, other, "Threats", anonymous)


def test_audit_rows_cannot_be_changed_or_deleted(moderator, reply):
    action = post_hide(acting_user=moderator, post=reply)
    action.reason = "rewritten"
    with pytest.raises(ValueError):
        action.save()
    with pytest.raises(ValueError):
        action.delete()
    assert ModerationAction.objects.get(pk=action.pk).reason == ""


def test_ban_marks_membership_and_closes_sockets(moderator, members, mecfs, django_capture_on_commit_callbacks):
    author, _ = members
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        member_ban(acting_user=moderator, user=author, community=mecfs, reason="Repeated abuse", guideline=1)
    assert Membership.objects.get(user=author, community=mecfs).status == Membership.Status.BANNED
    assert Sanction.objects.get(user=author).kind == Sanction.Kind.BAN
    assert len(callbacks) >= 2  # access_changed publish + notice email
    assert not can_post(author, [mecfs])
    with pytest.raises(AlreadyHandled):
        member_ban(acting_user=moderator, user=author, community=mecfs)


def test_mute_blocks_posting_in_that_community_only(moderator, members, mecfs, pots):
    author, _ = members
    member_mute(acting_user=moderator, user=author, community=mecfs, days=3, reason="Cool off")
    assert "muted you in #mecfs" in posting_refusal(author, [mecfs])
    assert can_post(author, [pots])


def test_only_staff_suspend_and_a_suspended_member_cannot_post(moderator, staff, members):
    author, _ = members
    with pytest.raises(PermissionDenied):
        member_suspend(acting_user=moderator, user=author, reason="Spam", days=7)
    member_suspend(acting_user=staff, user=author, reason="Spam", days=7)
    assert is_suspended(author)
    assert "suspended" in posting_refusal(author)
    sanction = Sanction.objects.get(user=author)
    sanction_lift(acting_user=staff, sanction=sanction)
    assert not is_suspended(author)


def test_permanent_suspension_has_no_end(staff, members):
    author, _ = members
    member_suspend(acting_user=staff, user=author, reason="Fraud")
    assert Sanction.objects.get(user=author).until is None
    assert is_suspended(author)


def test_expired_mute_no_longer_applies(moderator, members, mecfs):
    author, _ = members
    member_mute(acting_user=moderator, user=author, community=mecfs, days=1)
    Sanction.objects.update(until=timezone.now() - timedelta(minutes=1))
    assert can_post(author, [mecfs])


def test_moderators_cannot_sanction_themselves_or_staff(moderator, staff, mecfs):
    with pytest.raises(ValidationError):
        member_warn(acting_user=moderator, user=moderator, community=mecfs)
    with pytest.raises(PermissionDenied):
        member_warn(acting_user=moderator, user=staff, community=mecfs)


def test_flags_are_one_per_member_per_post(other_member, member, discussion, reply):
    flag_create(flagger=member, post=reply, reason=Flag.Reason.SPAM)
    with pytest.raises(ValidationError, match="already flagged"):
        flag_create(flagger=member, post=reply, reason=Flag.Reason.HARASSMENT)
    flag_create(flagger=member, post=discussion, reason=Flag.Reason.PERSONAL_DATA)
    flag_create(flagger=other_member, post=discussion, reason=Flag.Reason.PERSONAL_DATA)
    assert Flag.objects.count() == 3


def test_a_member_cannot_flag_what_they_cannot_see(outsider, discussion):
    with pytest.raises(PermissionDenied):
        flag_create(flagger=outsider, post=discussion, reason=Flag.Reason.SPAM)


def test_other_and_guideline_flags_need_their_detail(member, reply):
    with pytest.raises(ValidationError):
        flag_create(flagger=member, post=reply, reason=Flag.Reason.OTHER)
    with pytest.raises(ValidationError):
        flag_create(flagger=member, post=reply, reason=Flag.Reason.GUIDELINE)
    flag = flag_create(flagger=member, post=reply, reason=Flag.Reason.GUIDELINE, guideline=2)
    assert flag.guideline == 2


def test_an_appeal_is_allowed_once_and_overturning_restores_the_post(moderator, reply):
    action = post_remove(acting_user=moderator, post=reply, reason="Spam")
    author = reply.author
    appeal = appeal_create(appellant=author, action=action, text="It was a genuine tip")
    with pytest.raises(ValidationError, match="already appealed"):
        appeal_create(appellant=author, action=action, text="Again")
    appeal_decide(acting_user=moderator, appeal=appeal, overturn=True, reason="Fair point")
    reply.refresh_from_db()
    appeal.refresh_from_db()
    assert reply.status == Reply.Status.PUBLISHED
    assert appeal.status == appeal.Status.OVERTURNED
    with pytest.raises(AlreadyHandled):
        appeal_decide(acting_user=moderator, appeal=appeal, overturn=False)


def test_only_the_member_told_can_appeal(moderator, reply, member):
    action = post_remove(acting_user=moderator, post=reply)
    with pytest.raises(PermissionDenied):
        appeal_create(appellant=member, action=action, text="Not mine")


def test_join_requests_are_decided_once_with_an_audit_row(moderator, mecfs, outsider):
    request = Membership.objects.create(user=outsider, community=mecfs, status=Membership.Status.REQUESTED)
    join_request_decide(acting_user=moderator, membership=request, accept=True)
    assert Membership.objects.get(pk=request.pk).status == Membership.Status.ACTIVE
    with pytest.raises(AlreadyHandled):
        join_request_decide(acting_user=moderator, membership=request, accept=False)
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.JOIN_APPROVE


def test_dismissing_flags_closes_them_with_an_outcome_the_flagger_sees(moderator, member, reply):
    flag = flag_create(flagger=member, post=reply, reason=Flag.Reason.MISINFORMATION)
    flags_dismiss(acting_user=moderator, post=reply)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.DISMISSED and flag.outcome and flag.decided_by == moderator
    with pytest.raises(AlreadyHandled):
        flags_dismiss(acting_user=moderator, post=reply)


def test_the_daily_housekeeping_command_purges_expired_redactions(moderator, discussion, capsys):
    action = post_redact(acting_user=moderator, post=discussion, span="07700 900123", reason="Phone")
    ModerationAction.objects.filter(pk=action.pk).update(purge_after=timezone.now() - timedelta(days=1))

    call_command("moderation_housekeeping")

    action.refresh_from_db()
    assert "body" not in action.before
    assert action.purge_after is None
    assert "1 audit row" in capsys.readouterr().out
