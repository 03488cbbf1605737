from django.db import migrations, models


def fill_skeletons(apps, schema_editor) -> None:
    from accounts.confusables import skeletons

    User = apps.get_model("accounts", "User")
    for user in User.objects.only("pk", "username").iterator(chunk_size=1000):
        visual, folded = skeletons(user.username)
        User.objects.filter(pk=user.pk).update(username_skeleton=visual, username_folded_skeleton=folded)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_text_size")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_skeleton",
            field=models.CharField(db_index=True, db_default="", default="", editable=False, max_length=600),
        ),
        migrations.AddField(
            model_name="user",
            name="username_folded_skeleton",
            field=models.CharField(db_index=True, db_default="", default="", editable=False, max_length=600),
        ),
        migrations.RunPython(fill_skeletons, migrations.RunPython.noop),
    ]
