from django.urls import path

from tickets import views

app_name = "contact"
urlpatterns = [
    path("", views.contact, name="form"),
    path("sent/", views.sent, name="sent"),
    path("suggestions/", views.suggestions, name="suggestions"),
]
