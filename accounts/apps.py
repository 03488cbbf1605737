from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_init, post_save

        from accounts.access import stamp_loaded_user
        from accounts.access_versions import RECEIVERS
        from accounts.models import User

        post_init.connect(stamp_loaded_user, sender=User, dispatch_uid="accounts.access.stamp")
        for model, receiver in RECEIVERS:
            uid = f"accounts.access_versions.{model.__name__}"
            post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete")
