"""WSGI entry point, for servers that speak only HTTP (no websockets: live updates need ASGI, spoonful.asgi).

Production serves the site with daphne on spoonful.asgi:application; this is here for tools
and hosts that expect the standard ``<project>.wsgi.application``.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spoonful.settings")
application = get_wsgi_application()
