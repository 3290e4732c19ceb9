from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self):
        from carecrm import privacy
        from customers.privacy import HOLDER

        privacy.register(HOLDER)
