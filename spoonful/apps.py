from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class SpoonfulConfig(AppConfig):
    """The project package (settings, root URLs, ASGI/WSGI, middleware, site-wide modules) as an app.

    It holds no models and no migrations. It is in INSTALLED_APPS only so that Django
    calls ``ready()`` once the app registry is loaded: it registers the project's deploy
    checks (``spoonful.checks``) and the workers' retry pause (``spoonful.jobs``), and has
    the declared schedules (``spoonful.schedules``) written after every ``migrate``.
    Settings and the URLconf are imported too early or too late for that.
    """

    name = "spoonful"
    verbose_name = "Spoonful (project)"

    def ready(self) -> None:
        from spoonful import checks, jobs, schedules  # noqa: F401  (checks and the retry pause register on import)

        # Sent once django-q2's tables exist (this package has no models, so no signal of its own).
        post_migrate.connect(
            schedules.sync_after_migrate, sender=apps.get_app_config("django_q"), dispatch_uid="spoonful.schedules"
        )
