from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"

    def ready(self) -> None:
        from discussions import receivers  # noqa: F401  (connects the live-update signal receivers)
