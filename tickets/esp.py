"""Inbound email through an ESP's webhook (django-anymail): Mailgun routes and Postmark inbound streams.

Anymail checks each webhook's authentication (HTTP basic auth with ANYMAIL_WEBHOOK_SECRET, and for
Mailgun the HMAC signature with MAILGUN_WEBHOOK_SIGNING_KEY) and hands the parsed message to its
`inbound` signal. That signal is anymail's only interface, so `inbound_received` is connected to it and
does nothing but pass the raw message to tickets.inbound, the same service the raw endpoint and
`ingest_email` use. An ESP whose credentials are not configured answers 404: an unauthenticated
webhook must not accept mail for anyone."""

import logging

from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView

from carecrm.mail import esp_webhook
from tickets.inbound import EmailTooLarge, email_ingest

logger = logging.getLogger(__name__)


def inbound_received(sender, event, esp_name, **kwargs) -> None:
    try:
        filed = email_ingest(raw=event.message.as_bytes())
    except EmailTooLarge:
        logger.error("%s delivered a message over INBOUND_EMAIL_MAX_BYTES; it was not filed", esp_name)
        return
    if filed.ignored:
        logger.info("%s inbound message ignored: %s", esp_name, filed.ignored)


mailgun_inbound = esp_webhook(MailgunInboundWebhookView, "WEBHOOK_SECRET", "MAILGUN_WEBHOOK_SIGNING_KEY")
postmark_inbound = esp_webhook(PostmarkInboundWebhookView, "WEBHOOK_SECRET")
