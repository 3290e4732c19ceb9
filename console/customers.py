"""The single view of a customer: who they are and what they are worth, their whole timeline across
channels (paged, filtered by kind), their orders and shipments, tickets, campaign messages, coupons and
recommendations, and what staff can do for them from there."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from carecrm import clock
from console import selectors
from console.views import staff_required
from customers.models import Customer
from lifecycle.loyalty import loyalty_summary
from orders.recommendations import recommendations_for
from orders.value import customer_value


def _may_view(request) -> None:
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied("Your role does not see customers.")


@require_GET
@staff_required
def customer(request, customer_id: int):
    _may_view(request)
    customer = get_object_or_404(Customer.objects.prefetch_related("tags"), pk=customer_id)
    if customer.merged_into_id:
        return redirect("console:customer", customer_id=customer.merged_into_id)
    group = request.GET.get("group", "")
    group = group if group in selectors.TIMELINE_GROUPS else ""
    kind = request.GET.get("kind", "")[:64]
    timeline = selectors.timeline_page(
        customer=customer, group=group, kind=kind, before=request.GET.get("before", "")[:80]
    )
    context = {
        "customer": customer,
        "timeline": timeline,
        "group": group,
        "kind": kind,
        "groups": list(selectors.TIMELINE_GROUPS),
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "timeline":
        return render(request, "console/_timeline.html", context)
    return render(
        request,
        "console/customer.html",
        {
            **context,
            "overview": selectors.customer_overview(customer, now=clock.now()),
            "kinds": selectors.timeline_kinds(customer),
            "value": customer_value(customer),
            "loyalty": loyalty_summary(customer),
            "suggestions": recommendations_for(customer),
            "currency": settings.CARECRM["CURRENCY"],
        },
    )


@require_GET
@staff_required
def search(request):
    """The box in the top bar: as you type (htmx), the matches under it; on Enter, the results page, or
    straight to the one match."""
    _may_view(request)
    query = request.GET.get("q", "")
    results = selectors.staff_search(query)
    if request.headers.get("HX-Request"):
        return render(request, "console/_search_results.html", {"results": results, "q": query})
    if len(results) == 1:
        return redirect(_found_url(results[0]))
    return render(request, "console/search.html", {"results": results, "q": query})


def _found_url(found: selectors.Found) -> str:
    if found.ticket_id:
        return reverse("console:ticket", args=[found.ticket_id])
    url = reverse("console:customer", args=[found.customer_id])
    return f"{url}?group=orders" if found.kind == "order" else url
