import re

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Community, Membership
from discussions import events, services
from discussions.models import Discussion, Reply
from moderation.appeals import appeal_create
from moderation.flags import flag_create
from moderation.member_actions import member_suspend, member_warn
from moderation.models import Appeal, CrisisResource, Flag, ModerationAction, ModerationNotice, Sanction
from moderation.post_actions import flags_dismiss, post_approve, post_hide, post_remove
from moderation.selectors import can_moderate_post, posting_refusal
from moderation.services import discussion_lock, discussion_retag


def action_url(post, action: str) -> str:
    kind = "reply" if isinstance(post, Reply) else "discussion"
    return reverse("moderation:post_action", args=[kind, post.pk, action])


def test_the_queue_is_a_404_for_members_and_signed_out_visitors(client, login, member, reply):
    assert client.get("/mod/").status_code == 302  # to sign in
    assert login(member).get("/mod/").status_code == 404


def test_the_queue_groups_flags_by_post_with_crisis_on_top(
    login, moderator, members, discussion, reply, django_assert_max_num_queries
):
    author, _ = members
    flag_create(flagger=author, post=reply, reason=Flag.Reason.SPAM)
    flag_create(flagger=moderator, post=reply, reason=Flag.Reason.SPAM)
    crisis_reply = services.reply_create(author=author, discussion=discussion, body="Newer post")
    Flag.objects.create(flagger=None, reply=crisis_reply, reason=Flag.Reason.CRISIS, detail="Crisis words: want to die")

    client = login(moderator)
    with django_assert_max_num_queries(20):
        response = client.get("/mod/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 flags: Spam or advertising \u00d72" in html
    assert html.index("Crisis:") < html.index("Buy miracle pills")
    assert "Newer post" in html


def test_queue_lists_held_posts_join_requests_and_appeals(login, moderator, mecfs, outsider, reply):
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.HELD)
    Membership.objects.create(user=outsider, community=mecfs, status=Membership.Status.REQUESTED)
    discussion = reply.discussion
    action = post_hide(acting_user=moderator, post=discussion, reason="Checking")
    Appeal.objects.create(action=action, appellant=discussion.author, text="Please look again")
    html = login(moderator).get("/mod/").content.decode()
    assert "Buy miracle pills" in html
    assert "Bob</strong> asked to join #mecfs" in html
    assert "Please look again" in html


@pytest.mark.parametrize(
    ("action", "setup", "expected_status"),
    [
        ("hide", None, Reply.Status.HIDDEN),
        ("remove", None, Reply.Status.REMOVED),
        ("approve", Reply.Status.HELD, Reply.Status.PUBLISHED),
        ("restore", Reply.Status.REMOVED, Reply.Status.PUBLISHED),
    ],
)
def test_each_post_action_works_from_the_queue(login, moderator, reply, action, setup, expected_status):
    if setup:
        Reply.objects.filter(pk=reply.pk).update(status=setup)
    response = login(moderator).post(
        action_url(reply, action), {"reason": "Per the rules", "guideline": "2", "next": "/mod/"}
    )
    assert response.status_code == 302 and response["Location"] == "/mod/"
    reply.refresh_from_db()
    assert reply.status == expected_status
    entry = ModerationAction.objects.get()
    assert (entry.kind, entry.actor, entry.reason) == (action, moderator, "Per the rules")


@pytest.mark.parametrize("action", ["lock", "pin"])
def test_discussion_toggles_work_from_the_post(login, moderator, discussion, action):
    client = login(moderator)
    assert client.post(action_url(discussion, action), {"next": discussion.get_absolute_url()}).status_code == 302
    client.post(action_url(discussion, "un" + action))
    assert list(ModerationAction.objects.order_by("pk").values_list("kind", flat=True)) == [action, "un" + action]


def test_dismiss_redact_and_retag_from_the_review_page(login, moderator, member, discussion, pots):
    flag_create(flagger=member, post=discussion, reason=Flag.Reason.PERSONAL_DATA)
    client = login(moderator)
    review = client.get(reverse("moderation:post_review", args=["discussion", discussion.pk]))
    assert review.status_code == 200 and "Redact personal data" in review.content.decode()

    client.post(action_url(discussion, "redact"), {"span": "07700 900123", "reason": "Phone number"})
    discussion.refresh_from_db()
    assert "[removed: personal data]" in discussion.body
    assert Flag.objects.get().status == Flag.Status.ACTIONED

    Membership.objects.create(user=moderator, community=pots, role=Membership.Role.MODERATOR)
    client.post(action_url(discussion, "retag"), {"hashtags": "#mecfs, #pots"})
    assert sorted(discussion.tags.names()) == ["mecfs", "pots"]

    flag_create(flagger=moderator, post=discussion, reason=Flag.Reason.SPAM)
    assert client.post(action_url(discussion, "dismiss"), {"reason": "Not spam"}).status_code == 302
    assert not Flag.objects.filter(status=Flag.Status.OPEN).exists()
    kinds = list(ModerationAction.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["redact", "retag", "dismiss"]


def review_page(client, post) -> str:
    kind = "reply" if isinstance(post, Reply) else "discussion"
    return client.get(reverse("moderation:post_review", args=[kind, post.pk])).content.decode()


def test_the_review_link_names_what_can_be_done_to_each_kind_of_post(login, moderator, members, discussion, reply):
    _, other = members
    anonymous = services.reply_create(author=other, discussion=discussion, body="Quiet words", is_anonymous=True)
    client = login(moderator)
    assert "Redact or move…" in review_page(client, discussion)
    assert "Redact…" in review_page(client, reply)
    assert "Redact or reveal…" in review_page(client, anonymous)
    for post in (reply, anonymous):
        page = review_page(client, post)
        assert "Move or re-tag" not in page and "move…" not in page, "a reply cannot be moved"
        assert action_url(post, "retag") not in page


@pytest.mark.parametrize("action", ["retag", "lock", "pin"])
def test_a_discussion_only_action_posted_for_a_reply_is_a_form_error(login, moderator, reply, action):
    response = login(moderator).post(action_url(reply, action), {"hashtags": "#pots", "reason": "x"})
    assert response.status_code == 400
    assert "A reply goes where its discussion goes" in response.content.decode()
    assert not ModerationAction.objects.exists()


def test_a_bad_redaction_keeps_what_the_moderator_typed(login, moderator, discussion):
    response = login(moderator).post(action_url(discussion, "redact"), {"span": "not there at all", "reason": "x"})
    assert response.status_code == 400
    assert "not there at all" in response.content.decode()
    assert not ModerationAction.objects.exists()


def test_reveal_from_the_review_page_shows_the_author_and_is_logged(login, moderator, members, discussion):
    _, other = members
    anonymous = services.reply_create(author=other, discussion=discussion, body="Quiet words", is_anonymous=True)
    client = login(moderator)
    page = client.get(reverse("moderation:post_review", args=["reply", anonymous.pk])).content.decode()
    assert "Anonymous member" in page and "Carol" not in page
    response = client.post(reverse("moderation:post_reveal", args=["reply", anonymous.pk]), {"reason": "Threat"})
    assert response.status_code == 200 and "Carol" in response.content.decode()
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.REVEAL
    assert client.post(reverse("moderation:post_reveal", args=["reply", anonymous.pk]), {}).status_code == 400


def test_a_moderator_of_another_community_gets_404_everywhere(login, pots_moderator, reply, discussion):
    client = login(pots_moderator)
    assert client.get(reverse("moderation:post_review", args=["reply", reply.pk])).status_code == 404
    for action in ("hide", "remove", "approve", "dismiss", "redact"):
        assert client.post(action_url(reply, action), {"span": "pills"}).status_code == 404
    assert client.post(action_url(discussion, "lock")).status_code == 404
    assert client.post(reverse("moderation:post_reveal", args=["reply", reply.pk]), {"reason": "x"}).status_code == 404
    response = client.post(
        reverse("moderation:member_action", args=[reply.author.pk, "ban"]), {"community": "mecfs", "reason": "x"}
    )
    # A form error worded the same whether #mecfs exists or not, keeping what was typed.
    assert response.status_code == 400 and "moderate a community called #mecfs" in response.content.decode()
    assert not ModerationAction.objects.exists()
    assert reply.author.sanctions.count() == 0


def test_a_member_cannot_act_and_missing_posts_look_the_same(login, member, reply):
    client = login(member)
    assert client.post(action_url(reply, "remove")).status_code == 404
    assert client.post(reverse("moderation:post_action", args=["reply", 999999, "remove"])).status_code == 404
    assert client.post(reverse("moderation:member_action", args=[reply.author.pk, "warn"])).status_code == 404


def test_actions_are_post_only(login, moderator, reply):
    assert login(moderator).get(action_url(reply, "remove")).status_code == 405
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PUBLISHED


def test_an_unknown_action_is_a_404(login, moderator, reply):
    assert login(moderator).post(action_url(reply, "obliterate")).status_code == 404


def test_an_offsite_next_is_ignored(login, moderator, reply):
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
        Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.PUBLISHED)
        response = login(moderator).post(action_url(reply, "hide"), {"next": target})
        assert response["Location"] == "/mod/", target


def test_the_loser_of_a_race_is_told_what_happened(login, moderator, other_moderator, reply):
    post_remove(acting_user=other_moderator, post=reply)
    client = login(moderator)
    response = client.post(action_url(reply, "remove"), follow=True)
    assert "Already handled" in response.content.decode() and "Kim" in response.content.decode()
    assert ModerationAction.objects.count() == 1


def test_member_actions_from_the_post(login, moderator, staff, members, mecfs):
    author, other = members
    client = login(moderator)
    url = lambda user, action: reverse("moderation:member_action", args=[user.pk, action])  # noqa: E731
    assert (
        client.post(url(author, "warn"), {"community": "mecfs", "reason": "Be kind", "guideline": 1}).status_code == 302
    )
    assert client.post(url(author, "mute"), {"community": "mecfs", "days": 2}).status_code == 302
    assert client.post(url(other, "ban"), {"community": "mecfs", "reason": "Abuse"}).status_code == 302
    assert client.post(url(other, "suspend"), {"reason": "x"}).status_code == 404  # staff only
    assert login(staff).post(url(other, "suspend"), {"reason": "Spam", "days": 30}).status_code == 302
    kinds = sorted(Sanction.objects.values_list("kind", flat=True))
    assert kinds == ["ban", "mute", "suspension", "warning"]
    assert Membership.objects.get(user=other, community=mecfs).status == Membership.Status.BANNED


def test_a_bad_member_action_keeps_the_typed_reason(login, moderator, members):
    response = login(moderator).post(
        reverse("moderation:member_action", args=[members[0].pk, "mute"]),
        {"community": "mecfs", "days": "-4", "reason": "Shouting at people"},
    )
    assert response.status_code == 400
    assert "Shouting at people" in response.content.decode()


def test_join_requests_from_the_queue_go_to_the_communitys_endpoint(
    login, moderator, mecfs, outsider, monkeypatch, django_capture_on_commit_callbacks
):
    first = Membership.objects.create(user=outsider, community=mecfs, status=Membership.Status.REQUESTED)
    client = login(moderator)
    survivor = reverse("communities:request_decide", args=[mecfs.slug, first.pk])
    assert f'action="{survivor}"' in client.get("/mod/").content.decode()
    published = []
    monkeypatch.setattr(events, "_publish_after_commit", published.append)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(survivor, {"decision": "decline", "reason": "Not yet", "next": "/mod/"})

    assert response["Location"] == "/mod/"
    assert not Membership.objects.filter(pk=first.pk).exists()
    entry = ModerationAction.objects.get()
    assert (entry.kind, entry.actor, entry.reason) == (ModerationAction.Kind.JOIN_DECLINE, moderator, "Not yet")
    assert {"type": "access.changed", "user_id": outsider.pk} in published


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_the_old_queue_join_request_url_is_gone(login, moderator, mecfs, outsider, decision):
    request = Membership.objects.create(user=outsider, community=mecfs, status=Membership.Status.REQUESTED)

    assert login(moderator).post(f"/mod/requests/{request.pk}/{decision}/").status_code == 404

    assert Membership.objects.get(pk=request.pk).status == Membership.Status.REQUESTED
    assert not ModerationAction.objects.exists()


def test_pin_from_the_discussion_page_is_audited_and_announced(
    login, moderator, discussion, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(events, "_publish_after_commit", published.append)

    with django_capture_on_commit_callbacks(execute=True):
        response = login(moderator).post(action_url(discussion, "pin"), {"next": discussion.get_absolute_url()})

    assert response["Location"] == discussion.get_absolute_url()
    discussion.refresh_from_db()
    assert discussion.is_pinned
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.PIN
    assert {"type": "discussion.changed", "discussion_id": discussion.pk} in published


def test_appeals_from_the_queue(login, moderator, reply):
    action = post_remove(acting_user=moderator, post=reply, reason="Spam")
    appeal = appeal_create(appellant=reply.author, action=action, text="It was a real tip")
    response = login(moderator).post(
        reverse("moderation:appeal_decide", args=[appeal.pk]), {"decision": "upheld", "reason": "Still an ad"}
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD
    assert ModerationNotice.objects.filter(user=reply.author, message__contains="Still an ad").exists()


def test_the_log_shows_a_moderators_community_and_staff_see_all(login, moderator, pots_moderator, staff, reply, pots):
    post_hide(acting_user=moderator, post=reply, reason="Checking the claim")
    member_warn(acting_user=pots_moderator, user=reply.author, community=pots, reason="Pots only")
    mine = login(moderator).get("/mod/log/").content.decode()
    assert "Checking the claim" in mine and "Pots only" not in mine
    theirs = login(pots_moderator).get("/mod/log/").content.decode()
    assert "Pots only" in theirs and "Checking the claim" not in theirs
    everything = login(staff).get("/mod/log/").content.decode()
    assert "Pots only" in everything and "Checking the claim" in everything


def test_audit_entries_cannot_be_edited_or_deleted_through_any_endpoint(login, moderator, staff, reply):
    entry = post_hide(acting_user=moderator, post=reply, reason="Original")
    client = login(moderator)
    assert client.post("/mod/log/", {"reason": "Changed"}).status_code == 405
    assert client.post(f"/mod/log/{entry.pk}/", {"reason": "Changed"}).status_code == 404
    staff_client = login(staff)
    change = f"/admin/moderation/moderationaction/{entry.pk}/change/"
    delete = f"/admin/moderation/moderationaction/{entry.pk}/delete/"
    if staff_client.get("/admin/moderation/moderationaction/").status_code == 200:
        assert staff_client.post(change, {"reason": "Changed"}).status_code in (403, 302)
        assert staff_client.post(delete, {"post": "yes"}).status_code in (403, 302)
    entry.refresh_from_db()
    assert entry.reason == "Original" and ModerationAction.objects.filter(pk=entry.pk).exists()


# --- Members --------------------------------------------------------------------------


def flag_url(post) -> str:
    kind = "reply" if isinstance(post, Reply) else "discussion"
    return reverse("moderation:flag", args=[kind, post.pk])


def test_a_member_flags_a_reply_and_later_sees_the_outcome(login, member, moderator, reply):
    client = login(member)
    form = client.get(flag_url(reply))
    assert form.status_code == 200 and "What is wrong with this reply?" in form.content.decode()
    response = client.post(flag_url(reply), {"reason": "spam", "detail": "An advert", "next": "/mod/flags/"})
    assert response.status_code == 302
    assert "Received, waiting for a moderator" in client.get("/mod/flags/").content.decode()

    post_remove(acting_user=moderator, post=reply)
    assert "A moderator removed the post." in client.get("/mod/flags/").content.decode()


def test_flagging_twice_is_refused_with_the_reason(login, member, reply):
    client = login(member)
    client.post(flag_url(reply), {"reason": "spam"})
    page = client.get(flag_url(reply)).content.decode()
    assert "already flagged" in page
    response = client.post(flag_url(reply), {"reason": "harassment", "detail": "second try"})
    assert response.status_code == 400 and "already flagged" in response.content.decode()
    assert Flag.objects.count() == 1


def test_flag_form_errors_keep_the_typed_text(login, member, reply):
    response = login(member).post(flag_url(reply), {"reason": "guideline", "detail": "It says to stop meds"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say which guideline it breaks." in html and "It says to stop meds" in html


def test_flagging_what_you_cannot_see_is_a_404(login, outsider, discussion, reply):
    client = login(outsider)
    assert client.post(flag_url(discussion), {"reason": "spam"}).status_code == 404
    assert client.post(flag_url(reply), {"reason": "spam"}).status_code == 404
    assert not Flag.objects.exists()


def test_flagging_is_rate_limited_with_retry_after_and_the_text_kept(login, member, settings, discussion):
    settings.SPOONFUL_RATE_LIMITS = {"flag": [("user", 1, 600)]}
    client = login(member)
    client.post(flag_url(discussion), {"reason": "spam"})
    response = client.post(flag_url(discussion), {"reason": "other", "detail": "My carefully typed note"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    html = response.content.decode()
    assert "Please wait" in html and "My carefully typed note" in html


def test_flagging_is_rate_limited_per_address_too(client, user_factory, settings, members, discussion):
    settings.SPOONFUL_RATE_LIMITS = {"flag": [("ip", 1, 600)]}
    first, second = members
    client.force_login(first)
    client.post(flag_url(discussion), {"reason": "spam"})
    client.force_login(second)
    assert client.post(flag_url(discussion), {"reason": "spam"}).status_code == 429


def test_the_flag_partial_offers_every_reason(login, member, reply):
    html = login(member).get(flag_url(reply)).content.decode()
    offered = set(re.findall(r'name="reason" value="([a-z_]+)"', html))
    assert offered == set(Flag.Reason.values)


def test_the_author_is_told_why_and_can_appeal_once(login, moderator, reply):
    post_remove(acting_user=moderator, post=reply, guideline=3, reason="Advertising")
    client = login(reply.author)
    page = client.get("/mod/notices/").content.decode()
    assert "A moderator removed your reply." in page and "guideline 3" in page and "Advertising" in page
    notice = ModerationNotice.objects.get()
    assert notice.read_at is not None
    url = reverse("moderation:appeal", args=[notice.pk])
    assert client.post(url, {"text": "It was a genuine recommendation"}).status_code == 302
    second = client.post(url, {"text": "Please!"})
    assert second.status_code == 400 and "already replied" in second.content.decode()
    assert Appeal.objects.count() == 1


def test_notices_belong_to_their_member(login, moderator, member, reply):
    post_remove(acting_user=moderator, post=reply)
    notice = ModerationNotice.objects.get()
    assert login(member).get(reverse("moderation:appeal", args=[notice.pk])).status_code == 404


def test_a_suspended_member_can_read_but_is_told_they_cannot_post(login, staff, members, discussion):
    author, _ = members
    member_suspend(acting_user=staff, user=author, reason="Spam", days=3)
    assert login(author).get(discussion.get_absolute_url()).status_code == 200
    assert "suspended" in posting_refusal(author)


def test_the_support_page_shows_regional_then_site_resources(client, db):
    CrisisResource.objects.create(region="GB", name="Samaritans", phone="116 123")
    CrisisResource.objects.create(region="", name="Find a helpline", url="https://findahelpline.com/")
    html = client.get("/mod/support/?next=/d/1/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content.decode()
    assert html.index("Samaritans") < html.index("Find a helpline")
    assert 'href="/d/1/"' in html
    assert "Samaritans" not in client.get("/mod/support/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()


def test_the_support_page_has_defaults_when_nothing_is_configured(client, db):
    html = client.get("/mod/support/?next=https://evil.example/").content.decode()
    assert "emergency" in html and "evil.example" not in html


def test_held_discussions_are_visible_only_in_moderation_views(login, moderator, outsider, discussion):
    Discussion.objects.filter(pk=discussion.pk).update(status=Discussion.Status.HELD)
    assert login(outsider).get(reverse("moderation:post_review", args=["discussion", discussion.pk])).status_code == 404
    assert (
        login(moderator).get(reverse("moderation:post_review", args=["discussion", discussion.pk])).status_code == 200
    )


def test_a_queue_click_on_a_post_someone_else_already_decided_is_already_handled(
    login, moderator, other_moderator, member, reply
):
    flag_create(flagger=member, post=reply, reason=Flag.Reason.SPAM)
    # Kim dismisses the flags; Sam's page still shows them and Sam clicks Remove.
    flags_dismiss(acting_user=other_moderator, post=reply)
    response = login(moderator).post(
        action_url(reply, "remove"), {"seen_status": "published", "seen_flags": "1"}, follow=True
    )
    assert "Already handled" in response.content.decode()
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PUBLISHED
    assert ModerationAction.objects.count() == 1


def test_a_hidden_reply_offers_restore_not_approve_and_restore_puts_it_back(login, moderator, discussion, reply):
    post_hide(acting_user=moderator, post=reply, reason="Checking a claim")
    client = login(moderator)
    for page in (review_page(client, reply), client.get("/mod/").content.decode()):
        assert f'formaction="{action_url(reply, "restore")}">Restore</button>' in page
        assert action_url(reply, "approve") not in page
    response = client.post(action_url(reply, "restore"), {"seen_status": "hidden", "next": "/mod/"})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PUBLISHED
    assert ModerationAction.objects.latest("pk").kind == ModerationAction.Kind.RESTORE
    assert ModerationNotice.objects.latest("pk").message.startswith("A moderator restored your reply.")
    assert Discussion.objects.get(pk=discussion.pk).published_reply_count == 1


def test_a_held_reply_offers_approve(login, moderator, reply):
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.HELD)
    page = review_page(login(moderator), reply)
    assert f'formaction="{action_url(reply, "approve")}">Approve</button>' in page
    assert action_url(reply, "restore") not in page


def test_approve_is_only_for_what_waits_for_review_not_a_hidden_post(login, moderator, reply):
    post_hide(acting_user=moderator, post=reply)
    response = login(moderator).post(action_url(reply, "approve"), {"seen_status": "hidden"}, follow=True)
    assert "Already handled" in response.content.decode()
    assert Reply.objects.get(pk=reply.pk).status == Reply.Status.HIDDEN


def test_a_click_on_a_post_whose_status_changed_is_already_handled(login, moderator, other_moderator, reply):
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.HELD)
    post_approve(acting_user=other_moderator, post=Reply.objects.get(pk=reply.pk))
    response = login(moderator).post(action_url(reply, "remove"), {"seen_status": "held"}, follow=True)
    assert "Already handled" in response.content.decode()
    assert Reply.objects.get(pk=reply.pk).status == Reply.Status.PUBLISHED


def test_queue_and_log_query_counts_do_not_grow_with_items(
    login, moderator, members, discussion, outsider, mecfs, django_assert_max_num_queries
):
    author, other = members
    for number in range(12):
        posted = services.reply_create(author=other, discussion=discussion, body=f"Reply {number}")
        flag_create(flagger=author, post=posted, reason=Flag.Reason.SPAM)
        if number % 3 == 0:
            Reply.objects.filter(pk=posted.pk).update(status=Reply.Status.HELD)
    Membership.objects.create(user=outsider, community=mecfs, status=Membership.Status.REQUESTED)
    for posted in Reply.objects.filter(status=Reply.Status.PUBLISHED)[:5]:
        post_hide(acting_user=moderator, post=posted, reason="Checking")
    client = login(moderator)
    with django_assert_max_num_queries(20):
        assert client.get("/mod/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/mod/log/").status_code == 200


def test_actions_need_a_csrf_token(moderator, reply):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert client.post(action_url(reply, "remove")).status_code == 403
    assert client.post(reverse("moderation:flag", args=["reply", reply.pk]), {"reason": "spam"}).status_code == 403
    assert Reply.objects.get(pk=reply.pk).status == Reply.Status.PUBLISHED
    assert not ModerationAction.objects.exists() and not Flag.objects.exists()


def test_flag_details_are_escaped_in_the_queue(login, moderator, member, reply):
    flag_create(
        flagger=member, post=reply, reason=Flag.Reason.OTHER, detail='<script>alert(1)</script><img src=x onerror="x">'
    )
    html = login(moderator).get("/mod/").content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_moderator_without_two_factor_is_sent_to_set_it_up_before_acting(client, user_factory, mecfs, reply):
    unprotected = user_factory("noel", display_name="Noel")
    Membership.objects.create(user=unprotected, community=mecfs, role=Membership.Role.MODERATOR)
    client.force_login(unprotected)

    queue = client.get("/mod/")
    action = client.post(f"/mod/reply/{reply.pk}/remove/", {"reason": "testing"})

    assert queue.status_code == 302
    assert queue["Location"] == "/accounts/2fa/"
    assert action["Location"] == "/accounts/2fa/"
    reply.refresh_from_db()
    assert reply.status == reply.Status.PUBLISHED


def test_pin_and_lock_need_two_factor_too(client, user_factory, mecfs, discussion):
    unprotected = user_factory("noel", display_name="Noel")
    Membership.objects.create(user=unprotected, community=mecfs, role=Membership.Role.MODERATOR)
    client.force_login(unprotected)

    response = client.post(f"/mod/discussion/{discussion.pk}/lock/")

    assert response["Location"] == "/accounts/2fa/"
    discussion.refresh_from_db()
    assert not discussion.is_locked


def test_an_appeal_about_an_anonymous_reply_does_not_name_its_author_in_the_queue(
    login, moderator, discussion, other_member
):
    anonymous = services.reply_create(
        author=other_member, discussion=discussion, body="Buy miracle pills quietly", is_anonymous=True
    )
    action = post_remove(acting_user=moderator, post=anonymous, reason="Spam")
    appeal_create(appellant=other_member, action=action, text="It was a real tip")

    queue = login(moderator).get("/mod/").content.decode()

    assert "Anonymous member appeals" in queue
    assert other_member.public_name not in queue
    assert other_member.username not in queue


def test_the_log_leaves_out_what_a_private_communitys_moderators_did_on_a_post_the_moderator_may_not_moderate(
    login, moderator, mecfs, community_factory, user_factory, member
):
    hidden = community_factory("secretcircle", policy=Community.Policy.PRIVATE, name="Secret circle")
    circle_moderator = user_factory("circlemod", display_name="Circle mod", two_factor=True)
    Membership.objects.create(user=circle_moderator, community=hidden, role=Membership.Role.MODERATOR)
    Membership.objects.create(user=member, community=hidden)
    discussion = services.discussion_create(
        author=member, title="In both", body="Text", hashtags=["mecfs"], visibility="members"
    )
    discussion.tags.add(hidden.tag)
    discussion_lock(acting_user=circle_moderator, discussion=discussion, reason="Cooling off")

    log = login(moderator).get("/mod/log/").content.decode()

    # Filed under #secretcircle, about a post only the circle's moderators may moderate:
    # the queue and the review page leave it out, and so does the log.
    assert "Cooling off" not in log
    assert "secretcircle" not in log
    assert "Cooling off" in login(circle_moderator).get("/mod/log/").content.decode()


def test_the_log_does_not_name_a_private_community_an_entry_was_filed_under(
    login, moderator, staff, mecfs, community_factory, user_factory, member
):
    hidden = community_factory("secretcircle", policy=Community.Policy.PRIVATE, name="Secret circle")
    circle_moderator = user_factory("circlemod", display_name="Circle mod", two_factor=True)
    Membership.objects.create(user=circle_moderator, community=hidden, role=Membership.Role.MODERATOR)
    Membership.objects.create(user=member, community=hidden)
    discussion = services.discussion_create(
        author=member, title="Moved out", body="Text", hashtags=["secretcircle"], visibility="community"
    )
    discussion_lock(acting_user=circle_moderator, discussion=discussion, reason="Cooling off")
    discussion_retag(acting_user=staff, discussion=discussion, hashtags=["mecfs"])

    log = login(moderator).get("/mod/log/").content.decode()

    # The post is the moderator's now, so its entries are listed; the circle stays unnamed.
    assert "Cooling off" in log and "Moved out" in log
    assert "secretcircle" not in log


def test_a_post_also_in_a_private_community_is_moderated_only_by_those_who_may_know_it(
    login, moderator, mecfs, community_factory, member, other_member
):
    hidden = community_factory("secretcircle", policy=Community.Policy.PRIVATE, name="Secret circle")
    Membership.objects.create(user=member, community=hidden)
    Membership.objects.create(user=other_member, community=hidden)
    discussion = services.discussion_create(
        author=member, title="Quietly shared", body="Text", hashtags=["mecfs"], visibility="members"
    )
    discussion.tags.add(hidden.tag)
    flag_create(flagger=other_member, post=discussion, reason="spam")

    queue = login(moderator).get("/mod/").content.decode()

    assert not can_moderate_post(moderator, discussion)
    assert "Quietly shared" not in queue
    assert login(moderator).get(f"/mod/discussion/{discussion.pk}/").status_code == 404
    Membership.objects.create(user=moderator, community=hidden)
    assert can_moderate_post(moderator, discussion)


def test_the_log_does_not_show_the_title_of_a_discussion_moved_into_a_private_community_the_moderator_is_not_in(
    login, moderator, staff, mecfs, community_factory, members, discussion
):
    community_factory("secretcircle", policy=Community.Policy.PRIVATE, name="Secret circle")
    discussion_lock(acting_user=moderator, discussion=discussion, reason="Cooling off")
    removed = services.discussion_create(
        author=members[0], title="Removed but still ours", body="Text", hashtags=["mecfs"], visibility="members"
    )
    post_remove(acting_user=moderator, post=removed, reason="Off topic")
    Discussion.objects.filter(pk=discussion.pk).update(title="Canarytitle after the move")
    discussion_retag(acting_user=staff, discussion=discussion, hashtags=["secretcircle"])

    log = login(moderator).get("/mod/log/").content.decode()

    assert "Cooling off" in log
    assert "Canarytitle" not in log and "Pacing on bad days" not in log
    assert f"/mod/discussion/{discussion.pk}/" not in log
    assert "a discussion outside your communities" in log
    assert "Removed but still ours" in log  # a removed post in their own community keeps its title


def test_a_removal_reason_is_shown_to_the_author_only_never_on_the_public_tombstone(
    client, login, moderator, members, reply
):
    _, replier = members
    post_remove(acting_user=moderator, post=reply, guideline=2, reason="Canaryreason advert link")
    page = reply.discussion.get_absolute_url()

    for viewer in (members[0], moderator):
        html = login(viewer).get(page).content.decode()
        assert "Removed by moderators: guideline 2" in html
        assert "Canaryreason" not in html
        catch_up = login(viewer).get(f"/d/{reply.discussion_id}/replies/?after=0", HTTP_ACCEPT="application/json")
        assert "Canaryreason" not in catch_up.content.decode()
    assert "Canaryreason advert link" in login(replier).get(page).content.decode()


@pytest.mark.parametrize("path", ["/mod/", "/mod/log/"])
def test_a_nul_byte_in_the_community_filter_is_a_404_not_a_500(login, moderator, path):
    assert login(moderator).get(path, {"community": "me\x00cfs"}).status_code == 404
