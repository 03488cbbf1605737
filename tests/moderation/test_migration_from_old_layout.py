"""A database made when the moderation models lived in ``community`` migrates to
the ``moderation`` app with no data change: same tables, same rows, same pks,
and the content types (so permissions and admin history) relabelled.

The test database starts at the new layout; the migration executor takes it
back to the old layout's leaf migrations (moderation's models are then
``community``'s again), rows go in through the historical models, and it
migrates forward to the latest migrations.
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from moderation.models import Appeal, CrisisResource, Flag, KeywordRule, ModerationAction, ModerationNotice, Sanction

# Where each app stood before the moderation app existed.
OLD_LAYOUT = [
    ("accounts", "0005_username_skeleton"),
    ("community", "0003_narrow_visibility_audit"),
    ("discussions", "0006_crisis_alert"),
    ("moderation", None),
    ("notifications", None),
]
MOVED = [Appeal, CrisisResource, Flag, KeywordRule, ModerationAction, ModerationNotice, Sanction]


def _migrate(targets):
    """Migrate to ``targets``; the historical apps as they stand there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    named = {app for app, _ in targets}
    nodes = [target for target in targets if target[1] is not None]
    nodes += [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in named]
    return executor.loader.project_state(nodes, at_end=True).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _seed_old_layout(old) -> dict:
    """Rows of every moved model, written as the old layout knew them."""
    User = old.get_model("accounts", "User")
    Tag = old.get_model("taggit", "Tag")
    Community = old.get_model("community", "Community")
    Discussion = old.get_model("discussions", "Discussion")
    ContentType_ = old.get_model("contenttypes", "ContentType")

    for name in ("Flag", "ModerationAction", "Appeal"):
        # Moving the models must not move anything the old app does not hold.
        assert old.get_model("community", name)._meta.db_table == f"community_{name.lower()}"

    moderator = User.objects.create(username="old_layout_mod", email="mod@example.org")
    author = User.objects.create(username="old_layout_author", email="author@example.org")
    tag = Tag.objects.create(name="oldlayout", slug="oldlayout")
    community = Community.objects.create(slug="oldlayout", tag=tag, name="Old layout")
    discussion = Discussion.objects.create(
        author=author, title="Before the move", body="text", body_html="<p>text</p>", last_activity_at=timezone.now()
    )

    action = old.get_model("community", "ModerationAction").objects.create(
        actor=moderator,
        kind="remove",
        community=community,
        discussion=discussion,
        target_user=author,
        reason="Off topic",
        before={"body": "text"},
    )
    flag = old.get_model("community", "Flag").objects.create(
        flagger=moderator, discussion=discussion, reason="spam", detail="an advert"
    )
    appeal = old.get_model("community", "Appeal").objects.create(action=action, appellant=author, text="Please")
    notice = old.get_model("community", "ModerationNotice").objects.create(user=author, action=action, message="Seen")
    sanction = old.get_model("community", "Sanction").objects.create(
        user=author, community=community, kind="mute", actor=moderator, reason="Cooling off"
    )
    rule = old.get_model("community", "KeywordRule").objects.create(
        community=community, pattern="miracle cure", action="hold", created_by=moderator
    )
    resource = old.get_model("community", "CrisisResource").objects.create(region="GB", name="Samaritans")
    flag_type, _ = ContentType_.objects.get_or_create(app_label="community", model="flag")
    return {
        "users": (moderator.pk, author.pk),
        "community": community.pk,
        "discussion": discussion.pk,
        "action": action.pk,
        "flag": flag.pk,
        "appeal": appeal.pk,
        "notice": notice.pk,
        "sanction": sanction.pk,
        "rule": rule.pk,
        "resource": resource.pk,
        "flag_type": flag_type.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_old_layout_keeps_its_moderation_rows_in_the_new_app():
    latest = _latest()
    try:
        old = _migrate(OLD_LAYOUT)
        ContentType.objects.clear_cache()
        with pytest.raises(LookupError):
            old.get_model("moderation", "Flag")
        ids = _seed_old_layout(old)

        _migrate(latest)
        ContentType.objects.clear_cache()
    finally:
        # Leave the database as every other test expects it, whatever happened.
        _migrate(_latest())
        ContentType.objects.clear_cache()

    moderator_id, author_id = ids["users"]
    action = ModerationAction.objects.get(pk=ids["action"])
    assert (action.actor_id, action.target_user_id) == (moderator_id, author_id)
    assert (action.community_id, action.discussion_id) == (ids["community"], ids["discussion"])
    assert (action.kind, action.reason, action.before) == (ModerationAction.Kind.REMOVE, "Off topic", {"body": "text"})
    assert action.community.slug == "oldlayout"

    flag = Flag.objects.get(pk=ids["flag"])
    assert (flag.flagger_id, flag.discussion_id, flag.reason) == (moderator_id, ids["discussion"], Flag.Reason.SPAM)
    assert flag.post.title == "Before the move"
    assert list(flag.discussion.flags.all()) == [flag]

    appeal = Appeal.objects.get(pk=ids["appeal"])
    assert appeal.action == action
    assert list(action.appeals.all()) == [appeal]
    assert ModerationNotice.objects.get(pk=ids["notice"]).action_id == action.pk
    sanction = Sanction.objects.get(pk=ids["sanction"])
    assert (sanction.user_id, sanction.community_id, sanction.kind) == (author_id, ids["community"], Sanction.Kind.MUTE)
    assert KeywordRule.objects.get(pk=ids["rule"]).pattern == "miracle cure"
    assert CrisisResource.objects.get(pk=ids["resource"]).name == "Samaritans"

    for model in MOVED:
        assert model._meta.app_label == "moderation"
        assert model._meta.db_table == f"community_{model._meta.model_name}"
    flag_type = ContentType.objects.get(pk=ids["flag_type"])
    assert (flag_type.app_label, flag_type.model) == ("moderation", "flag")
    assert ContentType.objects.get_for_model(Flag).pk == ids["flag_type"]
    assert not ContentType.objects.filter(app_label="community", model__in=[m._meta.model_name for m in MOVED])
    assert Permission.objects.filter(content_type_id=ids["flag_type"], codename="view_flag").exists()
