from django.apps import AppConfig


class SpoonfulConfig(AppConfig):
    """The project package (settings, root URLs, ASGI/WSGI, middleware, site-wide modules) as an app.

    It holds no models and no migrations. It is in INSTALLED_APPS only so that Django
    calls ``ready()``, which registers the project's deploy checks (``spoonful.checks``)
    once the app registry is loaded; settings and the URLconf are imported too early or
    too late for that (``manage.py check --deploy`` never loads the URLconf first).
    """

    name = "spoonful"
    verbose_name = "Spoonful (project)"

    def ready(self) -> None:
        from spoonful import checks  # noqa: F401  (registers the deploy checks)
