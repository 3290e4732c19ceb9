"""The customer's order pages, mounted at /track/."""

from django.urls import path

from orders import views

app_name = "track"
# Order numbers are the store's and may hold a slash (2026/0042): `path` takes it, and the actions come
# first so that their suffixes are never read as part of a number.
urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("<path:number>/return/", views.return_start, name="return"),
    path("<path:number>/cancel/", views.cancel_request, name="cancel"),
    path("<path:number>/problem/", views.problem_report, name="problem"),
    path("<path:number>/", views.order_page, name="order"),
]
