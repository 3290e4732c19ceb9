"""The app's URLs plus the load benchmark's ceiling view (see bench/_load_settings.py)."""

from django.http import JsonResponse
from django.urls import path

from carecrm import urls as app_urls

handler404 = app_urls.handler404


def ceiling(request):
    """The least any request costs here: every middleware of the app's pages, no database, a fixed body."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/ceiling/", ceiling), *app_urls.urlpatterns]
