"""Where pages find the chat: the socket addresses the widget and the console connect to, from
CARECRM_CHAT_SOCKET_URL (empty: the page's own host, which a proxy routes /ws/ to the chat server)."""

from django.conf import settings
from django.templatetags.static import static

from carecrm.links import site_url


def visitor_socket_url() -> str:
    return settings.CARECRM["CHAT_SOCKET_URL"]


def agent_socket_url() -> str:
    base = settings.CARECRM["CHAT_SOCKET_URL"]
    return f"{base.rstrip('/')}/agent/" if base else ""


def widget_snippet(*, token_placeholder: bool = False) -> str:
    """The tag a shop adds to its pages, for the console to show."""
    socket = visitor_socket_url()
    attributes = f' data-socket="{socket}"' if socket else ""
    if token_placeholder:
        attributes += ' data-token="{JWT signed with CARECRM_CHAT_IDENTITY_SECRET}"'
    return f'<script src="{site_url(static("chat/widget.js"))}" async{attributes}></script>'


def widget_context(request) -> dict:
    """A context processor: our own customer pages carry the widget too."""
    return {
        "chat_widget": settings.CARECRM["CHAT_ON_CUSTOMER_PAGES"],
        "chat_socket_url": visitor_socket_url(),
    }
