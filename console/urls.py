from django.urls import path

from console import inbox, views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/resolve/", views.alert_resolve_view, name="alert-resolve"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("tickets/new/", inbox.ticket_log, name="ticket-log"),
    path("tickets/<int:ticket_id>/", inbox.ticket, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", inbox.reply, name="ticket-reply"),
    path("tickets/<int:ticket_id>/note/", inbox.note, name="ticket-note"),
    path("tickets/<int:ticket_id>/status/", inbox.status, name="ticket-status"),
    path("tickets/<int:ticket_id>/assign/", inbox.assign, name="ticket-assign"),
    path("tickets/<int:ticket_id>/macro/", inbox.macro, name="ticket-macro"),
    path("kb/", views.articles, name="articles"),
    path("kb/new/", views.article_edit, name="article-new"),
    path("kb/<int:article_id>/", views.article_edit, name="article-edit"),
    path("kb/gaps/", views.knowledge_gaps_view, name="knowledge-gaps"),
]
