# The notification models, moved here from discussions with their tables
# (discussions_notification, discussions_notificationpreference,
# discussions_hashtagfollow) and index names as they were. State only: an existing
# database keeps its rows untouched; discussions/migrations/0002 still creates the
# tables on a new one. Their content types (and so their permissions and admin
# log entries) are relabelled from "discussions" to "notifications".

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = ("notification", "notificationpreference", "hashtagfollow")


def _relabel(apps, schema_editor, old_label: str, new_label: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MOVED_MODELS:
        # A row already under the new label (only if both were ever created) is left
        # as it is: renaming onto it would break the (app_label, model) uniqueness.
        if rows.filter(app_label=new_label, model=model).exists():
            continue
        rows.filter(app_label=old_label, model=model).update(app_label=new_label)


def relabel_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "discussions", "notifications")


def restore_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "notifications", "discussions")


KIND_CHOICES = [
    ("reply_to_discussion", "Replies to my discussions"),
    ("reply_to_reply", "Replies to my replies"),
    ("mention", "Mentions of me"),
    ("followed_hashtag", "New discussions in hashtags I follow"),
    ("verification_decision", "Decisions about my professional verification"),
    ("moderation_decision", "Moderation decisions about my posts"),
    ("join_request_decision", "Decisions about my requests to join"),
    ("crisis_alert", "Crisis alerts in communities I moderate"),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("community", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("discussions", "0007_move_notifications_to_their_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HashtagFollow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "community",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="followers",
                                to="community.community",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="hashtag_follows",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "discussions_hashtagfollow",
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "community"), name="follow_hashtag_once")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("kind", models.CharField(choices=KIND_CHOICES, max_length=30)),
                        ("message", models.CharField(blank=True, max_length=300)),
                        ("url", models.CharField(blank=True, max_length=300)),
                        ("in_app", models.BooleanField(default=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "email_status",
                            models.CharField(
                                choices=[
                                    ("none", "Not emailed"),
                                    ("immediate", "Waiting to be emailed now"),
                                    ("digest", "Waiting for the daily digest"),
                                    ("sending", "Being sent"),
                                    ("sent", "Emailed"),
                                    ("skipped", "Not emailed: no longer readable or switched off"),
                                ],
                                default="none",
                                max_length=10,
                            ),
                        ),
                        ("emailed_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "discussion",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="discussions.discussion",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "reply",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="discussions.reply",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "discussions_notification",
                        "ordering": ["-created_at", "-pk"],
                        # The names the indexes were created with in discussions 0002.
                        "indexes": [
                            models.Index(fields=["recipient", "read_at"], name="discussions_recipie_6be1a9_idx"),
                            models.Index(fields=["recipient", "-created_at"], name="discussions_recipie_b753d7_idx"),
                            models.Index(fields=["email_status", "recipient"], name="discussions_email_s_0833d1_idx"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("kind", models.CharField(choices=KIND_CHOICES, max_length=30)),
                        ("in_app", models.BooleanField(default=True)),
                        (
                            "email",
                            models.CharField(
                                choices=[
                                    ("off", "No email"),
                                    ("immediate", "Email me straight away"),
                                    ("digest", "Once a day, in a digest"),
                                ],
                                default="off",
                                max_length=10,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_preferences",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "discussions_notificationpreference",
                        "constraints": [models.UniqueConstraint(fields=("user", "kind"), name="one_preference_per_kind")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
