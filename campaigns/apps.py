from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self):
        from anymail.signals import tracking

        from campaigns import sending, services
        from campaigns.privacy import HOLDER as PERSONAL_DATA
        from campaigns.tracking import tracking_received
        from carecrm import jobs, privacy
        from lifecycle import subscribers

        # Every kind: any event may trigger a journey or end one, as marketers configure.
        subscribers.register("campaigns.journeys", services.campaign_event_subscriber)
        subscribers.register(
            "campaigns.attribution", services.order_attribution_subscriber, kinds=["order_placed"]
        )
        # After the event sweep (0) and the stage update (10), whose stage_changed events enroll.
        jobs.register("campaign_broadcasts", services.broadcasts_due, order=35)
        jobs.register("campaign_steps", services.steps_due, order=40)
        jobs.register("campaign_recovery", sending.deliveries_recover, order=44)
        jobs.register("campaign_deliveries", sending.deliveries_due, order=45)
        # Anymail's only interface to its tracking webhooks is this signal.
        tracking.connect(tracking_received, dispatch_uid="campaigns.tracking")
        privacy.register(PERSONAL_DATA)
