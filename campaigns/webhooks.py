"""The ESPs' tracking webhooks, answering 404 until their credentials are configured."""

from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView

from carecrm.mail import esp_webhook

mailgun_tracking = esp_webhook(MailgunTrackingWebhookView, "WEBHOOK_SECRET", "MAILGUN_WEBHOOK_SIGNING_KEY")
postmark_tracking = esp_webhook(PostmarkTrackingWebhookView, "WEBHOOK_SECRET")
