# Notification, NotificationPreference and HashtagFollow moved to the notifications
# app. State only: their tables keep their names (db_table) and nothing in the
# database changes; notifications/migrations/0001_initial.py takes them over and
# relabels their content types.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0006_crisis_alert"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="HashtagFollow"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="NotificationPreference"),
            ],
            database_operations=[],
        ),
    ]
