"""A database made before notifications had an app of their own migrates with its rows
where they were: same tables, same primary keys, foreign keys intact, and the
content types (so permissions) relabelled from "discussions" to "notifications"."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notifications.models import HashtagFollow, Notification, NotificationPreference

# The old layout: discussions as it was before the move, no notifications app yet, and
# every other app at its latest migration.
MOVED_OUT_OF = ("discussions", "0006_crisis_alert")
MOVED = {"notification": Notification, "notificationpreference": NotificationPreference, "hashtagfollow": HashtagFollow}


def old_layout(graph) -> list[tuple[str, str | None]]:
    others = [node for node in graph.leaf_nodes() if node[0] not in ("discussions", "notifications")]
    return [*others, MOVED_OUT_OF, ("notifications", None)]


def migrate(*, to_old_layout: bool = False):
    """Migrate to the old layout, or to the latest migrations; the historical apps there."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    targets = old_layout(graph) if to_old_layout else graph.leaf_nodes()
    executor.migrate(targets)
    # A fresh loader: the executor's one still remembers what was applied before.
    # (An app at zero, ``(label, None)``, has no node: it is simply not in the state.)
    return MigrationExecutor(connection).loader.project_state([t for t in targets if t[1] is not None]).apps


def old_layout_rows(old):
    """Rows as the old code wrote them, through the historical models."""
    user = old.get_model("accounts", "User")
    alice = user.objects.create(username="alice", email="alice@example.com", password="!")
    bob = user.objects.create(username="bob", email="bob@example.com", password="!")
    tag = old.get_model("taggit", "Tag").objects.create(name="mecfs", slug="mecfs")
    community = old.get_model("community", "Community").objects.create(slug="mecfs", tag=tag, name="ME/CFS")
    discussion = old.get_model("discussions", "Discussion").objects.create(
        author=alice,
        title="Pacing",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        last_activity_at=timezone.now(),
        visibility="community",
    )
    reply = old.get_model("discussions", "Reply").objects.create(
        discussion=discussion, author=bob, number=1, path="000001", body="Slowly.", body_html="<p>Slowly.</p>"
    )
    notification = old.get_model("discussions", "Notification").objects.create(
        recipient=alice,
        kind="reply_to_discussion",
        actor=bob,
        discussion=discussion,
        reply=reply,
        email_status="digest",
    )
    preference = old.get_model("discussions", "NotificationPreference").objects.create(
        user=alice, kind="mention", in_app=False, email="digest"
    )
    follow = old.get_model("discussions", "HashtagFollow").objects.create(user=bob, community=community)

    # Content types and permissions as an old database has them (post_migrate made
    # them under "discussions"); going back to the old layout relabels the test
    # database's own, so these are found rather than created.
    content_type = old.get_model("contenttypes", "ContentType")
    permission = old.get_model("auth", "Permission")
    types, permissions = {}, {}
    for model in MOVED:
        found, _ = content_type.objects.get_or_create(app_label="discussions", model=model)
        types[model] = found.pk
        perm, _ = permission.objects.get_or_create(
            content_type=found, codename=f"view_{model}", defaults={"name": f"Can view {model}"}
        )
        permissions[model] = perm.pk
    return {
        "alice": alice.pk,
        "bob": bob.pk,
        "community": community.pk,
        "discussion": discussion.pk,
        "reply": reply.pk,
        "notification": notification.pk,
        "preference": preference.pk,
        "follow": follow.pk,
        "types": types,
        "permissions": permissions,
    }


@pytest.mark.django_db(transaction=True)
def test_an_old_layout_database_keeps_its_notifications_through_the_move():
    try:
        old = migrate(to_old_layout=True)
        assert not [model for model in old.get_models() if model._meta.app_label == "notifications"]
        ids = old_layout_rows(old)
    finally:
        migrate()  # forward to the latest; on failure too, so later tests find it
        ContentType.objects.clear_cache()

    # The same tables, read through the new app's models.
    tables = connection.introspection.table_names()
    for model in MOVED.values():
        assert model._meta.app_label == "notifications"
        assert model._meta.db_table in tables
    assert "notifications_notification" not in tables

    notification = Notification.objects.select_related("discussion", "reply").get(pk=ids["notification"])
    assert notification.recipient_id == ids["alice"]
    assert notification.actor_id == ids["bob"]
    assert notification.discussion.pk == ids["discussion"]
    assert notification.discussion.title == "Pacing"
    assert notification.reply.pk == ids["reply"]
    assert notification.kind == Notification.Kind.REPLY_TO_DISCUSSION
    assert notification.email_status == Notification.EmailStatus.DIGEST
    assert notification.is_unread

    preference = NotificationPreference.objects.get(pk=ids["preference"])
    assert (preference.user_id, preference.kind, preference.in_app, preference.email) == (
        ids["alice"],
        Notification.Kind.MENTION,
        False,
        NotificationPreference.Email.DIGEST,
    )
    follow = HashtagFollow.objects.select_related("community").get(pk=ids["follow"])
    assert (follow.user_id, follow.community.slug) == (ids["bob"], "mecfs")

    # The same content type rows, now under the new label; permissions follow them.
    for name, model in MOVED.items():
        content_type = ContentType.objects.get(pk=ids["types"][name])
        assert (content_type.app_label, content_type.model) == ("notifications", name)
        assert ContentType.objects.get_for_model(model).pk == content_type.pk
        permission = Permission.objects.select_related("content_type").get(pk=ids["permissions"][name])
        assert permission.content_type.app_label == "notifications"
    assert not ContentType.objects.filter(app_label="discussions", model__in=list(MOVED)).exists()
