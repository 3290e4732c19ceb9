"""Helpers for mail the apps send."""

from django.core.mail import EmailMessage


def esp_message_id(message: EmailMessage, *, max_length: int = 300) -> str:
    """What the ESP called a sent message: django-anymail backends tell it, Django's own do not ("")."""
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    return "" if message_id is None else str(message_id)[:max_length]


def outbox_holds(message_id: str) -> bool | None:
    """Whether the email backend already accepted a message with this Message-ID: True or False from a
    backend that can tell (`message_accepted(message_id)`), None from one that cannot. Asked before a
    message whose sender died mid-way is sent again."""
    from django.core.mail import get_connection

    connection = get_connection()
    check = getattr(connection, "message_accepted", None)
    return None if check is None else bool(check(message_id))


def esp_webhook(view_class, *required: str):
    """An ESP webhook view (django-anymail) that answers 404 until its credentials are configured:
    anymail only warns when its secret is missing, and an unauthenticated webhook must accept nothing."""
    from django.conf import settings
    from django.http import Http404
    from django.views.decorators.csrf import csrf_exempt

    view = view_class.as_view()

    @csrf_exempt
    def configured_view(request, *args, **kwargs):
        if not all(settings.ANYMAIL.get(name) for name in required):
            raise Http404("This webhook is not configured.")
        return view(request, *args, **kwargs)

    return configured_view
