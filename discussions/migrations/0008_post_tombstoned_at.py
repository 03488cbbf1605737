from django.db import migrations, models
from django.utils import timezone

TOMBSTONES = ("removed", "deleted")


def date_existing_tombstones(apps, schema_editor) -> None:
    """When a post became a tombstone was not recorded before: count from the upgrade, so a
    retention period never ends earlier than it promised."""
    upgraded_at = timezone.now()
    for model in ("Discussion", "Reply"):
        posts = apps.get_model("discussions", model).objects
        posts.filter(status__in=TOMBSTONES, tombstoned_at__isnull=True).update(tombstoned_at=upgraded_at)


class Migration(migrations.Migration):
    dependencies = [("discussions", "0007_move_notifications_to_their_app")]

    operations = [
        migrations.AddField(
            model_name="discussion",
            name="tombstoned_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="reply",
            name="tombstoned_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="discussion",
            index=models.Index(
                condition=models.Q(("tombstoned_at__isnull", False)), fields=["tombstoned_at"], name="discussion_tombstoned"
            ),
        ),
        migrations.AddIndex(
            model_name="reply",
            index=models.Index(
                condition=models.Q(("tombstoned_at__isnull", False)), fields=["tombstoned_at"], name="reply_tombstoned"
            ),
        ),
        migrations.RunPython(date_existing_tombstones, migrations.RunPython.noop),
    ]
