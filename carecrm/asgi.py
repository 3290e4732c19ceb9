"""The ASGI side: Django's pages (so one uvicorn can serve everything) and the live-chat sockets, which
uvicorn serves beside gunicorn (the Procfile's `chat`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecrm.settings.base")
# Django is set up before the consumers (and their models) are imported.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from tickets.chat.consumers import AgentConsumer, VisitorConsumer  # noqa: E402

websocket_urlpatterns = [
    # The widget is embedded in the shop's pages: VisitorConsumer checks their origin itself.
    path("ws/chat/", VisitorConsumer.as_asgi()),
    # The console signs in with its session cookie, so only this site's pages may open it.
    path("ws/chat/agent/", AllowedHostsOriginValidator(AuthMiddlewareStack(AgentConsumer.as_asgi()))),
]

application = ProtocolTypeRouter({"http": django_application, "websocket": URLRouter(websocket_urlpatterns)})
