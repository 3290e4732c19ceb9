from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from carecrm import demo, jobs, privacy
        from lifecycle import segments, subscribers
        from orders import carts, notifications, recommendations, segment_fields, services
        from orders import demo as orders_demo
        from orders.privacy import HOLDER as PERSONAL_DATA

        for field in segment_fields.FIELDS:
            segments.field_register(field)
        jobs.register("payment_problems", services.payment_problems_detect, order=20)
        jobs.register("late_deliveries", services.deliveries_late_detect, order=20)
        jobs.register("abandoned_carts", carts.carts_abandoned_detect, order=20)
        jobs.register("bought_together", recommendations.product_pairs_rebuild, order=60)
        # After the event sweep (order 0), which records the notifications this job sends.
        jobs.register("order_notifications", notifications.notifications_sweep, order=30)
        subscribers.register(
            "orders.notifications", notifications.notification_subscriber, kinds=notifications.EVENT_KINDS
        )
        demo.register("orders", orders_demo.orders_seed, order=20, present=orders_demo.orders_present)
        privacy.register(PERSONAL_DATA)
