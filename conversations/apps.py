from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Private conversations"
    default_auto_field = "django.db.models.BigAutoField"
