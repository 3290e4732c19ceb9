from django.urls import path

from console import campaigns, customers, inbox, views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/resolve/", views.alert_resolve_view, name="alert-resolve"),
    path("search/", customers.search, name="search"),
    path("access/", customers.access_log, name="access-log"),
    path("customers/<int:customer_id>/", customers.customer, name="customer"),
    path("customers/<int:customer_id>/email/", customers.email_send, name="customer-email"),
    path("customers/<int:customer_id>/coupon/", customers.coupon_give, name="customer-coupon"),
    path("customers/<int:customer_id>/merge/", customers.merge, name="customer-merge"),
    path("customers/<int:customer_id>/export/", customers.export, name="customer-export"),
    path("customers/<int:customer_id>/erase/", customers.erase, name="customer-erase"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("tickets/new/", inbox.ticket_log, name="ticket-log"),
    path("tickets/<int:ticket_id>/", inbox.ticket, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", inbox.reply, name="ticket-reply"),
    path("tickets/<int:ticket_id>/note/", inbox.note, name="ticket-note"),
    path("tickets/<int:ticket_id>/status/", inbox.status, name="ticket-status"),
    path("tickets/<int:ticket_id>/assign/", inbox.assign, name="ticket-assign"),
    path("tickets/<int:ticket_id>/macro/", inbox.macro, name="ticket-macro"),
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign-new"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/status/", campaigns.campaign_status, name="campaign-status"),
    path("campaigns/<int:campaign_id>/send/", campaigns.campaign_send_now, name="campaign-send"),
    path("campaigns/<int:campaign_id>/steps/new/", campaigns.step_edit, name="step-new"),
    path("campaigns/previews/<str:key>/", campaigns.step_preview_html, name="step-preview-html"),
    path("campaigns/<int:campaign_id>/steps/<int:step_id>/", campaigns.step_edit, name="step-edit"),
    path(
        "campaigns/<int:campaign_id>/steps/<int:step_id>/delete/", campaigns.step_delete, name="step-delete"
    ),
    path("dashboards/", views.dashboard, name="dashboards"),
    path("dashboards/<slug:name>/", views.dashboard, name="dashboard"),
    path("reports/weekly/", views.weekly_report, name="weekly-report"),
    path("kb/", views.articles, name="articles"),
    path("kb/new/", views.article_edit, name="article-new"),
    path("kb/<int:article_id>/", views.article_edit, name="article-edit"),
    path("kb/gaps/", views.knowledge_gaps_view, name="knowledge-gaps"),
]
