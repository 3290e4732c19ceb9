from django.apps import AppConfig

# Events after which a customer's stage may have moved.
STAGE_KINDS = ["registered", "order_placed", "order_cancelled", "refund_issued", "customer_merged"]


class LifecycleConfig(AppConfig):
    name = "lifecycle"

    def ready(self):
        from carecrm import demo, jobs, privacy
        from lifecycle import demo as lifecycle_demo
        from lifecycle import loyalty, segments, services, subscribers, value
        from lifecycle.privacy import HOLDER as PERSONAL_DATA

        subscribers.register("lifecycle.stage", services.stage_subscriber, kinds=STAGE_KINDS)
        subscribers.register("lifecycle.loyalty", loyalty.loyalty_subscriber, kinds=loyalty.EVENT_KINDS)
        for field in loyalty.segment_fields():
            segments.field_register(field)
        # The sweep goes first so that a tick sees every event before the jobs that depend on them.
        jobs.register("event_sweep", services.event_sweep, order=0)
        jobs.register("stages_age", services.stages_age, order=10)
        jobs.register("rfm", value.rfm_score, order=50)
        demo.register(
            "customers", lifecycle_demo.customers_seed, order=10, present=lifecycle_demo.customers_present
        )
        privacy.register(PERSONAL_DATA)
