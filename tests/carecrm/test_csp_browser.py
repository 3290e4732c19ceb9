"""The Content-Security-Policy in a real browser: every kind of page, the console's for each role and the
customer's, is opened in headless Chromium with the policy the settings give, and must work under it —
its scripts run, its charts draw, its forms submit — without the browser refusing anything. A page that
gained an inline script, an inline style or a resource from elsewhere fails here, naming what Chromium
refused and where."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.models import Step
from campaigns.playbook import playbook_install
from carecrm import demo
from customers.models import Customer
from knowledgebase.models import Article
from orders.models import Order
from tests.browser import needs_chromium, new_page, wait_until
from tickets.models import Ticket

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

# Collected in every frame before the page's own scripts run; the console catches what reaches it only
# as a message (a refused inline handler, a frame's own refusals).
WATCH_VIOLATIONS = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__refused.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " at " +
    (event.sourceFile || location.href) + ":" + event.lineNumber);
});
"""


@pytest.fixture
def demo_data(live_server):
    call_command("seed_demo", customers=5, stdout=StringIO(), stderr=StringIO())


class Visit:
    """A browser context that remembers every refusal of the policy and every page without the header."""

    def __init__(self, browser, live_server):
        self.url = live_server.url
        self._context = new_page(browser, viewport={"width": 1280, "height": 900})
        self.page = self._context.__enter__()
        self.page.context.add_init_script(WATCH_VIOLATIONS)
        self.refused: list[str] = []
        self.unprotected: list[str] = []
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(message.text)

    def _response(self, response) -> None:
        is_page = response.request.resource_type == "document" and response.url.startswith(self.url)
        if is_page and response.status < 300 and "content-security-policy" not in response.headers:
            self.unprotected.append(response.url)

    def open(self, path: str) -> None:
        response = self.page.goto(self.url + path)
        assert response.status == 200, f"{path}: {response.status}"
        self.page.wait_for_load_state("load")
        self._collect()

    def _collect(self) -> None:
        for frame in self.page.frames:
            self.refused.extend(frame.evaluate("window.__refused || []"))
            frame.evaluate("window.__refused = []")

    def sign_in(self, username: str) -> None:
        self.open("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        if self._context is not None:
            self._collect()
            self._context.__exit__(None, None, None)
            self._context = None


@pytest.fixture
def visit(browser, live_server):
    visits = []

    def start() -> Visit:
        visits.append(Visit(browser, live_server))
        return visits[-1]

    yield start
    for each in visits:
        each.close()


def test_the_console_works_under_the_policy_for_every_role(visit, demo_data):
    playbook_install()
    customer = Customer.objects.filter(orders_count__gt=0).order_by("pk").first()
    ticket = Ticket.objects.order_by("pk").first()

    agent = visit()
    agent.sign_in("agent")
    agent.open("/console/")
    agent.open("/console/inbox/")
    agent.open(f"/console/tickets/{ticket.pk}/")
    agent.open(f"/console/customers/{customer.pk}/")
    # The timeline filter submits itself on change, from console.js rather than an inline handler.
    agent.page.locator("#timeline-kind").select_option("order_placed")
    agent.page.wait_for_url("**kind=order_placed**")
    agent.open("/console/kb/")
    # The chat workspace opens its socket (refused here: the live server speaks no WebSocket, which is no
    # policy refusal) and fetches its pieces from this site.
    agent.open("/console/chats/")

    manager = visit()
    manager.sign_in("manager")
    manager.open("/console/dashboards/")
    # Chart.js draws into the canvases from the bundled script and the page's JSON data.
    assert manager.page.locator("canvas").count() > 0
    wait_until(
        manager.page,
        "window.Chart && Array.from(document.querySelectorAll('canvas')).every(c => Chart.getChart(c))",
    )
    period = manager.page.get_by_label("Period")
    other = period.locator("option:not([selected])").first.get_attribute("value")
    period.select_option(other)
    manager.page.wait_for_url(f"**weeks={other}**")
    manager.open("/console/access/")
    manager.open("/console/dashboards/chat/")
    manager.open("/console/chats/invitations/")
    manager.open("/console/reports/weekly/")

    marketer = visit()
    marketer.sign_in("marketer")
    marketer.open("/console/campaigns/")
    step = Step.objects.filter(campaign__slug="first-purchase").order_by("position").first()
    marketer.open(f"/console/campaigns/{step.campaign_id}/steps/{step.pk}/")
    # The email keeps its inline styles in its own frame, under the preview's own policy.
    frame = marketer.page.frame_locator("#preview iframe.preview-html")
    frame.locator("body").wait_for()
    marketer.page.get_by_label("Subject").fill("Policy check {{ customer.first_name }}")
    marketer.page.locator("#preview .preview-subject").filter(has_text="Policy check").wait_for()

    admin = visit()
    admin.sign_in("admin")
    admin.open("/admin/")
    admin.open("/admin/customers/customer/")
    admin.open(f"/admin/customers/customer/{customer.pk}/change/")
    admin.open("/api/docs/")
    admin.page.locator(".swagger-ui .opblock").first.wait_for()
    admin.open("/api/v1/customers/")  # DRF's browsable API, for a signed-in staff member

    for each in (agent, manager, marketer, admin):
        each.close()
        assert each.refused == [], each.refused
        assert each.unprotected == [], each.unprotected


def test_the_customer_pages_work_under_the_policy(visit, demo_data):
    order = Order.objects.select_related("customer").order_by("pk").first()
    article = Article.objects.filter(status="published").order_by("pk").first()

    customer = visit()
    customer.open("/help/")
    customer.open(f"/help/articles/{article.pk}-{article.slug}/")
    customer.open("/help/search/?q=delivery")
    customer.open("/track/")
    customer.page.get_by_label("Order number").fill(order.number)
    customer.page.get_by_label("Email address").fill(order.customer.email)
    customer.page.get_by_role("button", name="Find my order").click()
    customer.page.get_by_role("heading", name=order.number).wait_for()
    customer.open("/contact/")
    # The contact form suggests articles as the subject is typed (htmx, from our own origin).
    customer.page.get_by_label("What is it about?").fill("Where is my parcel?")
    customer.page.wait_for_load_state("networkidle")
    customer.open("/requests/")

    customer.close()
    assert customer.refused == [], customer.refused
    assert customer.unprotected == [], customer.unprotected


def test_every_page_carries_the_policy_and_the_other_security_headers(client, db):
    response = client.get("/help/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
