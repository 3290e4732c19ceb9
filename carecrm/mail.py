"""Helpers for mail the apps send."""

from django.core.mail import EmailMessage


def esp_message_id(message: EmailMessage, *, max_length: int = 300) -> str:
    """What the ESP called a sent message: django-anymail backends tell it, Django's own do not ("")."""
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    return "" if message_id is None else str(message_id)[:max_length]
