from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self):
        from carecrm import jobs
        from console import reports

        # Last: it reads what the day's other jobs settled.
        jobs.register("weekly_report", reports.weekly_report_due, order=90)
