"""The moderation models now belong to the ``moderation`` app (its 0001).

State only: the tables stay where they are and keep their rows; moderation's
models name them with ``db_table``. Models that point at ModerationAction go
first so the state never holds a reference to a model it has dropped.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('community', '0003_narrow_visibility_audit'),
        ('moderation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='Appeal'),
                migrations.DeleteModel(name='ModerationNotice'),
                migrations.DeleteModel(name='Flag'),
                migrations.DeleteModel(name='Sanction'),
                migrations.DeleteModel(name='KeywordRule'),
                migrations.DeleteModel(name='CrisisResource'),
                migrations.DeleteModel(name='ModerationAction'),
            ],
        ),
    ]
