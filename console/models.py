from django.db import models


class WeeklyReport(models.Model):
    """The weekly support report of one week (Monday to Monday), recorded before it is mailed so that
    however many ticks run on a Monday, managers get it once."""

    week_start = models.DateField(unique=True)
    figures = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-week_start"]
        permissions = [
            ("view_dashboards", "Can see the support, after-sales and lifecycle dashboards"),
            ("view_access_log", "Can see who viewed, changed, exported or erased customers' data"),
        ]

    def __str__(self):
        return f"Week of {self.week_start}"
