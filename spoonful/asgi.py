import os
import sys
from http import HTTPStatus

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spoonful.settings")
django_asgi_app = get_asgi_application()

# daphne writes the status line's reason phrase from twisted's table (ASGI carries none), which
# lacks some the site sends: a rate-limited page reached browsers as "429 Unknown Status". Only
# daphne has twisted loaded by now; uvicorn has its own table and is spared importing twisted.
if "twisted.web.http" in sys.modules:
    for status in HTTPStatus:
        sys.modules["twisted.web.http"].RESPONSES.setdefault(status.value, status.phrase.encode())

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up first)
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from discussions.routing import websocket_urlpatterns  # noqa: E402
from spoonful.socket_auth import SocketAuthMiddlewareStack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(SocketAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
