from django.urls import path

from console import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/resolve/", views.alert_resolve_view, name="alert-resolve"),
    path("kb/", views.articles, name="articles"),
    path("kb/new/", views.article_edit, name="article-new"),
    path("kb/<int:article_id>/", views.article_edit, name="article-edit"),
    path("kb/gaps/", views.knowledge_gaps_view, name="knowledge-gaps"),
]
