from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from console import selectors


@staff_member_required(login_url="login")
def home(request):
    stages = selectors.stage_counts()
    return render(
        request,
        "console/home.html",
        {
            "stages": stages,
            "customers_total": sum(row["count"] for row in stages),
            "recent_events": selectors.recent_events(),
        },
    )
