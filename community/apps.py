from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Condition communities"

    def ready(self) -> None:
        from community import checks  # noqa: F401  (registers the deploy checks)
