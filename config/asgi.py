import os
from importlib import import_module

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from deliberation.routing import websocket_urlpatterns as deliberation_sockets  # noqa: E402


class ReadOnlySessionMiddleware:
    """The session of a socket's handshake, for AuthMiddleware to find who is signed in.

    Sockets never write the session, so unlike Channels' SessionMiddleware this does
    not wrap `send` to check before every frame whether to save it: in a room of 2,000
    sockets that check was about a quarter of the server's time per event
    (bench/live_fanout.py)."""

    def __init__(self, inner):
        self.inner = inner
        self.store = import_module(settings.SESSION_ENGINE).SessionStore

    async def __call__(self, scope, receive, send):
        key = scope["cookies"].get(settings.SESSION_COOKIE_NAME)
        return await self.inner(dict(scope, session=self.store(key)), receive, send)


# In development uvicorn serves the static files too; in production the proxy does.
http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.DEBUG else django_asgi_app

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            CookieMiddleware(
                ReadOnlySessionMiddleware(AuthMiddleware(URLRouter(deliberation_sockets)))
            )
        ),
    }
)
