from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from campaigns import views as campaign_views
from campaigns.webhooks import mailgun_tracking, postmark_tracking
from carecrm.views import ThrottledLoginView, healthz, two_factor
from knowledgebase.api import ArticleViewSet
from knowledgebase.views import SITEMAPS
from lifecycle.api import CustomerViewSet
from orders.api import CartViewSet, OrderViewSet, ShipmentViewSet
from tickets import esp
from tickets.api import InboundEmailView, TicketViewSet
from tickets.views import csat

handler404 = "carecrm.views.page_not_found"

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("orders", OrderViewSet, basename="order")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("carts", CartViewSet, basename="cart")
router.register("kb/articles", ArticleViewSet, basename="kb-article")
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("api/v1/inbound-email/", InboundEmailView.as_view(), name="inbound-email"),
    re_path(r"^anymail/mailgun/inbound(_mime)?/$", esp.mailgun_inbound, name="mailgun-inbound"),
    path("anymail/postmark/inbound/", esp.postmark_inbound, name="postmark-inbound"),
    path("anymail/mailgun/tracking/", mailgun_tracking, name="mailgun-tracking"),
    path("anymail/postmark/tracking/", postmark_tracking, name="postmark-tracking"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", two_factor, name="two-factor"),
    # The admin signs in through the same page, so its attempts are counted and its code asked for.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin-login"),
    path("console/", include("console.urls")),
    path("track/updates/", include("orders.optout")),
    path("track/", include("orders.urls")),
    path("help/", include("knowledgebase.urls")),
    path("contact/", include("tickets.urls")),
    path("csat/<str:token>/", csat, name="csat"),
    path("requests/", include("tickets.portal")),
    path("unsubscribe/<str:token>/", campaign_views.unsubscribe, name="unsubscribe"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("admin/", admin.site.urls),
]
