from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from carecrm import jobs
        from orders import services

        jobs.register("payment_problems", services.payment_problems_detect, order=20)
        jobs.register("late_deliveries", services.deliveries_late_detect, order=20)
