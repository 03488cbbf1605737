"""Acting on a member from one of their posts, and moving a discussion, as a community
moderator: what is typed is kept, a mistake is a form error (never a 404), and a move
follows the placement rules of posting."""

from django.urls import reverse

from community.models import Community, Membership
from discussions.models import Discussion, Visibility
from moderation.models import ModerationAction, Sanction


def member_url(user, action: str) -> str:
    return reverse("moderation:member_action", args=[user.pk, action])


def retag_url(discussion) -> str:
    return reverse("moderation:post_action", args=["discussion", discussion.pk, "retag"])


def test_the_review_page_prefills_the_community_box_from_the_post(login, moderator, discussion):
    page = login(moderator).get(reverse("moderation:post_review", args=["discussion", discussion.pk]))
    html = page.content.decode()
    assert 'name="community" maxlength="40" value="mecfs"' in html
    assert f'name="from_id" value="{discussion.pk}"' in html


def test_a_mute_from_a_post_with_the_community_box_empty_applies_to_the_posts_community(
    login, moderator, members, reply, mecfs
):
    _, other = members
    response = login(moderator).post(
        member_url(other, "mute"),
        {"community": "", "reason": "Selling pills", "days": 3, "from_kind": "reply", "from_id": reply.pk},
    )
    assert response.status_code == 302
    sanction = Sanction.objects.get(user=other)
    assert (sanction.kind, sanction.community) == (Sanction.Kind.MUTE, mecfs)
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.MUTE


def test_a_ban_with_no_community_to_go_by_is_a_form_error_that_keeps_the_typed_reason(login, moderator, members):
    _, other = members
    response = login(moderator).post(member_url(other, "ban"), {"community": "", "reason": "Spreading rumours"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Spreading rumours" in html and "Name the community" in html
    assert not Sanction.objects.exists()


def test_a_community_the_moderator_does_not_moderate_is_a_form_error(login, moderator, members, pots):
    _, other = members
    response = login(moderator).post(member_url(other, "mute"), {"community": "pots", "reason": "Loud"})
    assert response.status_code == 400
    assert "Loud" in response.content.decode() and "moderate a community called #pots" in response.content.decode()
    assert not Sanction.objects.exists()


def test_a_community_moderator_can_move_a_discussion_into_an_open_community(login, moderator, discussion, pots):
    response = login(moderator).post(retag_url(discussion), {"hashtags": "#pots", "reason": "Belongs in POTS"})
    assert response.status_code == 302
    assert sorted(discussion.tags.names()) == ["pots"]
    action = ModerationAction.objects.get()
    assert action.kind == ModerationAction.Kind.RETAG and action.reason == "Belongs in POTS"
    assert action.before["hashtags"] == ["mecfs"] and action.after["hashtags"] == ["pots"]


def test_a_move_into_a_hidden_private_community_reads_as_no_community(login, moderator, discussion, community_factory):
    community_factory("secretcircle", policy=Community.Policy.PRIVATE)
    response = login(moderator).post(retag_url(discussion), {"hashtags": "#mecfs #secretcircle", "reason": "x"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is no community for #secretcircle" in html and "#mecfs #secretcircle" in html
    assert sorted(discussion.tags.names()) == ["mecfs"]
    assert not ModerationAction.objects.exists()


def test_a_private_community_holds_a_moved_discussion_alone_and_only_for_its_members(
    login, moderator, discussion, community_factory
):
    circle = community_factory("circle", policy=Community.Policy.PRIVATE)
    Membership.objects.create(user=moderator, community=circle)
    client = login(moderator)

    response = client.post(retag_url(discussion), {"hashtags": "#mecfs #circle"})
    assert response.status_code == 400 and "private community" in response.content.decode()
    assert sorted(discussion.tags.names()) == ["mecfs"]

    Discussion.objects.filter(pk=discussion.pk).update(visibility=Visibility.PUBLIC)
    assert client.post(retag_url(discussion), {"hashtags": "#circle"}).status_code == 302
    discussion.refresh_from_db()
    assert sorted(discussion.tags.names()) == ["circle"] and discussion.visibility == Visibility.COMMUNITY


def test_a_moderator_cannot_take_a_discussion_out_of_a_community_they_do_not_moderate(
    login, moderator, discussion, pots, pots_moderator
):
    discussion.tags.add(pots.tag)
    response = login(moderator).post(retag_url(discussion), {"hashtags": "#mecfs", "reason": "Not POTS"})
    assert response.status_code == 400
    assert "Only the moderators of #pots" in response.content.decode()
    assert sorted(discussion.tags.names()) == ["mecfs", "pots"]
