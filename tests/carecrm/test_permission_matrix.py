"""Every URL of the URL conf against every kind of visitor: anonymous, a customer signed in through their
emailed link, each staff role and the store's integration token. The routes are read from the URL conf
itself, so a new URL without a rule here fails `test_every_route_has_a_rule`.

A rule says who may use a route; the test derives what each visitor must get from it: the page (or, for
a POST without a valid body, anything but a refusal) for those allowed, and for the others the refusal
that fits them: the sign-in page for visitors of staff pages, 401 for the API without credentials, 403
for signed-in staff and tokens without the permission, the customer's own sign-in page for requests.
"""

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from campaigns.playbook import playbook_install
from knowledgebase.models import Article
from tests.factories import CustomerFactory, UserFactory
from tests.knowledgebase.factories import ArticleFactory
from tests.orders.factories import OrderAlertFactory
from tests.orders.track_factories import order_place, shipment_send
from tickets import portal
from tickets.chat.services import chat_start
from tickets.models import ChatInvitationRule, Macro
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db
ACTORS = ("anonymous", "customer", "agent", "marketer", "manager", "admin", "integration")
STAFF = ("agent", "marketer", "manager", "admin")


@dataclass(frozen=True)
class Rule:
    """Who may use a route. `kind`: public (everyone), staff (console pages: `perm`, or any staff when
    empty), api (`perm` through a token or a staff session), customer (the signed-in customer),
    token (a signed link: a forged one is refused to everyone), webhook (an ESP's, authenticated by
    its secret), admin (Django's admin site)."""

    kind: str
    perm: str = ""
    method: str = "get"
    path: str = ""  # with {placeholders} filled from the fixture
    data: dict = field(default_factory=dict)


def console(path: str, perm: str = "", method: str = "get") -> Rule:
    return Rule("staff", perm, method, path)


def api(path: str, perm: str, method: str = "get") -> Rule:
    return Rule("api", perm, method, path)


RULES: dict[str, Rule] = {
    "healthz": Rule("public", path="/healthz"),
    "sitemap": Rule("public", path="/sitemap.xml"),
    "login": Rule("public", path="/accounts/login/"),
    "logout": Rule("public", method="post", path="/accounts/logout/"),
    "two-factor": console("/accounts/two-factor/"),
    "admin-login": Rule("public", path="/admin/login/?next=/admin/"),
    "schema": Rule("public", path="/api/schema/"),
    "api-docs": Rule("public", path="/api/docs/"),
    # The store's API
    "api-root": api("/api/v1/", ""),
    "customer-list": api("/api/v1/customers/", "customers.view_customer"),
    "customer-detail": api("/api/v1/customers/{customer}/", "customers.view_customer"),
    "customer-timeline": api("/api/v1/customers/{customer}/timeline/", "lifecycle.view_event"),
    "order-list": api("/api/v1/orders/", "orders.add_order", method="post"),
    "order-detail": api("/api/v1/orders/{order}/", "orders.view_order"),
    "order-payments": api("/api/v1/orders/{order}/payments/", "orders.add_payment", method="post"),
    "order-refunds": api("/api/v1/orders/{order}/refunds/", "orders.add_refund", method="post"),
    "order-shipments": api("/api/v1/orders/{order}/shipments/", "orders.add_shipment", method="post"),
    "shipment-events": api("/api/v1/shipments/{shipment}/events/", "orders.add_trackingevent", method="post"),
    "cart-list": api("/api/v1/carts/", "orders.add_cart", method="post"),
    "cart-detail": api("/api/v1/carts/{cart}/", "orders.view_cart"),
    # Published articles are the public help centre's, through the API too.
    "kb-article-list": Rule("public", path="/api/v1/kb/articles/"),
    "kb-article-detail": Rule("public", path="/api/v1/kb/articles/{article}/"),
    "ticket-list": api("/api/v1/tickets/", "tickets.view_ticket"),
    "ticket-detail": api("/api/v1/tickets/{ticket}/", "tickets.view_ticket"),
    "inbound-email": api("/api/v1/inbound-email/", "tickets.add_message", method="post"),
    # ESP webhooks: closed (404) until their secret is configured, and then only with it
    "mailgun-inbound": Rule("webhook", method="post", path="/anymail/mailgun/inbound/"),
    "postmark-inbound": Rule("webhook", method="post", path="/anymail/postmark/inbound/"),
    "mailgun-tracking": Rule("webhook", method="post", path="/anymail/mailgun/tracking/"),
    "postmark-tracking": Rule("webhook", method="post", path="/anymail/postmark/tracking/"),
    # The console
    "console:home": console("/console/"),
    "console:start": console("/console/start/"),
    "console:alerts": console("/console/alerts/"),
    "console:alert-resolve": console("/console/alerts/{alert}/resolve/", "orders.change_orderalert", "post"),
    "console:search": console("/console/search/?q=nobody", "customers.view_customer"),
    "console:access-log": console("/console/access/", "console.view_access_log"),
    "console:customer": console("/console/customers/{customer}/", "customers.view_customer"),
    "console:customer-email": console("/console/customers/{customer}/email/", "tickets.add_ticket", "post"),
    "console:customer-coupon": console(
        "/console/customers/{customer}/coupon/", "campaigns.add_coupon", "post"
    ),
    "console:customer-merge": console(
        "/console/customers/{customer}/merge/", "customers.change_customer", "post"
    ),
    "console:customer-export": console("/console/customers/{customer}/export/", "customers.change_customer"),
    "console:customer-erase": console(
        "/console/customers/{customer}/erase/", "customers.delete_customer", "post"
    ),
    "console:inbox": console("/console/inbox/", "tickets.view_ticket"),
    "console:ticket-log": console("/console/tickets/new/", "tickets.change_ticket"),
    "console:ticket": console("/console/tickets/{ticket}/", "tickets.view_ticket"),
    "console:ticket-reply": console("/console/tickets/{ticket}/reply/", "tickets.change_ticket", "post"),
    "console:ticket-note": console("/console/tickets/{ticket}/note/", "tickets.change_ticket", "post"),
    "console:ticket-status": console("/console/tickets/{ticket}/status/", "tickets.change_ticket", "post"),
    "console:ticket-assign": console("/console/tickets/{ticket}/assign/", "tickets.change_ticket", "post"),
    "console:ticket-macro": console("/console/tickets/{ticket}/macro/", "tickets.view_ticket"),
    "console:campaigns": console("/console/campaigns/", "campaigns.view_campaign"),
    "console:campaign-new": console("/console/campaigns/new/", "campaigns.change_campaign"),
    "console:campaign": console("/console/campaigns/{campaign}/", "campaigns.view_campaign"),
    "console:campaign-status": console(
        "/console/campaigns/{campaign}/status/", "campaigns.change_campaign", "post"
    ),
    "console:campaign-send": console(
        "/console/campaigns/{campaign}/send/", "campaigns.change_campaign", "post"
    ),
    "console:step-new": console("/console/campaigns/{campaign}/steps/new/", "campaigns.view_campaign"),
    "console:step-edit": console("/console/campaigns/{campaign}/steps/{step}/", "campaigns.view_campaign"),
    "console:step-preview-html": console("/console/campaigns/previews/unknown/", "campaigns.view_campaign"),
    "console:step-delete": console(
        "/console/campaigns/{campaign}/steps/{step}/delete/", "campaigns.delete_step", "post"
    ),
    "console:dashboards": console("/console/dashboards/", "console.view_dashboards"),
    "console:dashboard": console("/console/dashboards/lifecycle/", "console.view_dashboards"),
    "console:weekly-report": console("/console/reports/weekly/", "console.view_dashboards"),
    "console:articles": console("/console/kb/"),
    "console:article-new": console("/console/kb/new/"),
    "console:article-edit": console("/console/kb/{article}/"),
    "console:knowledge-gaps": console("/console/kb/gaps/"),
    "console:chats": console("/console/chats/", "tickets.change_ticket"),
    "console:chat-kb": console("/console/chats/kb/?q=parcel", "tickets.change_ticket"),
    "console:chat-customer": console("/console/chats/{chat_ticket}/customer/", "tickets.change_ticket"),
    "console:chat-macro": console("/console/chats/{chat_ticket}/macros/{macro}/", "tickets.change_ticket"),
    "console:chat-invitations": console("/console/chats/invitations/", "tickets.view_chatinvitationrule"),
    "console:chat-invitation-new": console(
        "/console/chats/invitations/new/", "tickets.add_chatinvitationrule"
    ),
    "console:chat-invitation-edit": console(
        "/console/chats/invitations/{invitation_rule}/", "tickets.change_chatinvitationrule"
    ),
    # Customers' pages
    "track:lookup": Rule("public", path="/track/"),
    "track:order": Rule("public", path="/track/{order_number}/"),
    "track:return": Rule("public", path="/track/{order_number}/return/"),
    "track:cancel": Rule("public", method="post", path="/track/{order_number}/cancel/"),
    "track:problem": Rule("public", method="post", path="/track/{order_number}/problem/"),
    "order_updates:off": Rule("token", path="/track/updates/off/forged/"),
    "help:home": Rule("public", path="/help/"),
    "help:search": Rule("public", path="/help/search/?q=parcel"),
    "help:category": Rule("public", path="/help/categories/{category}/"),
    "help:article": Rule("public", path="/help/articles/{article}-{article_slug}/"),
    "help:vote": Rule("public", method="post", path="/help/articles/{article}/vote/"),
    "contact:form": Rule("public", path="/contact/"),
    "contact:sent": Rule("public", path="/contact/sent/"),
    "contact:suggestions": Rule("public", path="/contact/suggestions/?subject=parcel"),
    "csat": Rule("token", path="/csat/forged/"),
    "unsubscribe": Rule("token", path="/unsubscribe/forged/"),
    "requests:start": Rule("public", path="/requests/"),
    "requests:signin": Rule("token", path="/requests/signin/forged/"),
    "requests:list": Rule("customer", path="/requests/mine/"),
    "requests:detail": Rule("customer", path="/requests/mine/{ticket_reference}/"),
    "admin": Rule("admin", path="/admin/"),
}


def _route_names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                names.add("admin")
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_has_a_rule():
    routes = _route_names(get_resolver().url_patterns)
    assert routes - set(RULES) == set(), "routes without a rule in the permission matrix"
    assert set(RULES) - routes == set(), "rules for routes that no longer exist"


@pytest.fixture
def world(client):
    """One of everything a URL can name, all belonging to one customer."""
    playbook_install()
    order = order_place(number="PM-1001", email="owner@mail.example")
    shipment = shipment_send(order)
    ticket = ticket_open(channel="web", email="owner@mail.example", subject="Hi", body="Hello").ticket
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    from campaigns.models import Campaign
    from orders.models import Cart

    campaign = Campaign.objects.get(slug="welcome")
    cart = Cart.objects.create(
        external_id="c1", customer=order.customer, currency="EUR", value=1, updated_at=order.placed_at,
        received_at=order.placed_at,
    )  # fmt: skip
    return {
        "customer": order.customer_id,
        "order": order.pk,
        "order_number": order.number,
        "shipment": shipment.pk,
        "ticket": ticket.pk,
        "ticket_reference": ticket.reference,
        "article": article.pk,
        "article_slug": article.slug,
        "category": article.category.slug,
        "campaign": campaign.pk,
        "step": campaign.steps.get().pk,
        "alert": OrderAlertFactory(order=order).pk,
        "cart": cart.pk,
        "invitation_rule": ChatInvitationRule.objects.create(name="Checkout", text="Need a hand?").pk,
        "chat_ticket": chat_start(
            text="Hello", client_id="matrix-0001", email="owner@mail.example", now=order.placed_at
        ).chat.ticket_id,
        "macro": Macro.objects.create(name="Hello", text="Hello {{ customer_name }}").pk,
    }


def _sign_in(client, actor: str, world: dict) -> dict:
    """Credentials for `actor`: a session for people, a token header for the integration."""
    if actor == "customer":
        session = client.session
        session[portal.SESSION_KEY] = world["customer"]
        session.save()
    elif actor == "integration":
        return {
            "HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=UserFactory(role='integration')).key}"
        }
    elif actor != "anonymous":
        client.force_login(UserFactory(role=actor))
    return {}


def _may(actor: str, rule: Rule) -> bool:
    if rule.kind == "public":
        return True
    if rule.kind == "customer":
        return actor == "customer"
    if rule.kind == "staff":
        return actor in STAFF and (not rule.perm or _role_has(actor, rule.perm))
    if rule.kind == "api":
        return actor in (*STAFF, "integration") and (not rule.perm or _role_has(actor, rule.perm))
    if rule.kind == "admin":
        return actor in STAFF
    return False  # token and webhook rules are checked with forged credentials: nobody passes


def _role_has(role: str, perm: str) -> bool:
    from carecrm.roles import ROLES, permission_matches

    app_label, codename = perm.split(".")
    return permission_matches(ROLES[role], app_label, codename)


def _refusal(actor: str, rule: Rule) -> set[int]:
    if rule.kind == "staff":
        # A token is no session: the integration is a stranger to the console, as any visitor.
        return {302} if actor in ("anonymous", "customer", "integration") else {403}
    if rule.kind == "api":
        return {401} if actor in ("anonymous", "customer") else {403}
    if rule.kind == "customer":
        return {302}
    if rule.kind == "admin":
        return {302}
    if rule.kind == "token":
        return {400, 404}
    if rule.kind == "webhook":
        return {400, 401, 403, 404}
    raise AssertionError(rule)


@pytest.mark.parametrize("actor", ACTORS)
def test_each_route_answers_each_visitor_as_its_rule_says(client, world, actor, settings):
    settings.CARECRM = (
        {**settings.CARECRM, "TRACK_RATE_LIMIT": "1000/m"}
        if "TRACK_RATE_LIMIT" in settings.CARECRM
        else settings.CARECRM
    )
    headers = _sign_in(client, actor, world)
    wrong = {}
    # Signing out last, as it ends the session the other requests need.
    for name, rule in sorted(RULES.items(), key=lambda item: item[0] == "logout"):
        response = getattr(client, rule.method)(rule.path.format(**world), rule.data, **headers)
        status = response.status_code
        if _may(actor, rule):
            refused = status in (401, 403) or (
                status == 302 and "/accounts/login/" in response["Location"] and rule.kind != "public"
            )
            if refused or status >= 500:
                wrong[name] = f"{status}, expected to be let in"
        elif status not in _refusal(actor, rule):
            wrong[name] = f"{status}, expected {sorted(_refusal(actor, rule))}"
    assert wrong == {}


def test_a_signed_in_customer_reaches_none_of_another_customers_requests_or_orders(client, world):
    stranger = CustomerFactory(email="stranger@mail.example")
    session = client.session
    session[portal.SESSION_KEY] = stranger.pk
    session.save()

    request = client.get(f"/requests/mine/{world['ticket_reference']}/")
    order = client.get(f"/track/{world['order_number']}/")
    listing = client.get("/requests/mine/")

    assert request.status_code == 404
    assert order.status_code == 302 and order["Location"].startswith("/track/")
    assert world["ticket_reference"] not in listing.content.decode()


CUSTOMER_IDS = ("{order_number}", "{ticket_reference}")


def customer_routes_with_ids() -> list[str]:
    return sorted(
        name
        for name, rule in RULES.items()
        if rule.kind in ("public", "customer") and any(part in rule.path for part in CUSTOMER_IDS)
    )


@pytest.mark.parametrize("name", customer_routes_with_ids())
def test_no_id_in_a_customer_url_reaches_another_customers_data(client, world, name):
    """A customer signed in to their requests, who has also looked up an order of their own, puts the
    owner's order number or ticket reference into each customer URL: nothing of the owner's is shown or
    changed."""
    from orders.models import Order
    from tickets.models import Message

    stranger_order = order_place(number="PM-2002", email="stranger@mail.example")
    looked_up = client.post("/track/", {"number": stranger_order.number, "email": "stranger@mail.example"})
    assert looked_up.status_code == 302
    session = client.session
    session[portal.SESSION_KEY] = stranger_order.customer_id
    session.save()
    messages_before = Message.objects.count()
    rule = RULES[name]

    # The return form only takes a POST: the request it would file is what must not happen.
    method = "post" if name == "track:return" else rule.method
    response = getattr(client, method)(rule.path.format(**world), rule.data)

    body = response.content.decode()
    assert response.status_code in (302, 404), f"{name}: {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].split("?")[0] in ("/track/", "/requests/"), response["Location"]
    assert "owner@mail.example" not in body and world["ticket_reference"] not in body
    assert Order.objects.get(number=world["order_number"]).status != "cancelled"
    assert Message.objects.count() == messages_before


def test_every_customer_route_with_an_id_is_checked():
    assert {"track:order", "track:return", "track:cancel", "track:problem", "requests:detail"} <= set(
        customer_routes_with_ids()
    )
