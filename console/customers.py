"""The single view of a customer: who they are and what they are worth, their whole timeline across
channels (paged, filtered by kind), their orders and shipments, tickets, campaign messages, coupons and
recommendations, and what staff can do for them from there."""

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns import services as campaign_services
from carecrm import clock, privacy
from console import selectors
from console.forms import CouponGrantForm, EraseForm, MergeForm, OneOffEmailForm
from console.views import customer_accessed, staff_required
from customers.models import AccessRecord, Customer
from customers.services import customer_by_email
from lifecycle.loyalty import loyalty_summary
from lifecycle.services import customer_erase, customer_merge
from orders.recommendations import recommendations_for
from orders.value import customer_value
from tickets import services as tickets_services

ACCESS_SHOWN = 10


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
    customer_accessed(request, customer, AccessRecord.Action.VIEWED)
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
            "email_form": OneOffEmailForm(),
            "coupon_form": CouponGrantForm(),
            "merge_form": MergeForm(),
            "erase_form": EraseForm(),
            "access": list(customer.access_records.all()[:ACCESS_SHOWN])
            if request.user.has_perm("console.view_access_log")
            else [],
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


# --- Actions ---------------------------------------------------------------------------------------


def _live_customer(customer_id: int) -> Customer:
    customer = get_object_or_404(Customer, pk=customer_id)
    if customer.merged_into_id:
        raise Http404("This customer was merged into another.")
    return customer


def _back(customer: Customer):
    return redirect("console:customer", customer_id=customer.pk)


def _refused(request, customer: Customer, form) -> HttpResponse:
    errors = [str(e) for field in form.errors.values() for e in field]
    flash.error(request, "Not done: " + " ".join(errors))
    return _back(customer)


def _require(request, permission: str, why: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(why)


@require_POST
@staff_required
def email_send(request, customer_id: int):
    """A one-off email to the customer, as a ticket of its own so that their answer threads onto it."""
    _require(request, "tickets.add_ticket", "Your role does not write to customers.")
    customer = _live_customer(customer_id)
    form = OneOffEmailForm(request.POST)
    if not form.is_valid():
        return _refused(request, customer, form)
    try:
        ticket, _ = tickets_services.ticket_outbound(
            customer=customer,
            author=request.user,
            subject=form.cleaned_data["subject"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as error:
        flash.error(request, "Not sent: " + " ".join(error.messages))
        return _back(customer)
    customer_accessed(request, customer, AccessRecord.Action.EMAILED, ticket.reference)
    flash.success(request, f"Email sent to {customer.email} as {ticket.reference}.")
    return redirect("console:ticket", ticket_id=ticket.pk)


@require_POST
@staff_required
def coupon_give(request, customer_id: int):
    _require(request, "campaigns.add_coupon", "Your role does not give coupons.")
    customer = _live_customer(customer_id)
    form = CouponGrantForm(request.POST)
    if not form.is_valid():
        return _refused(request, customer, form)
    try:
        coupon = campaign_services.coupon_grant(
            customer=customer, actor=request.user.get_username(), now=clock.now(), **form.cleaned_data
        )
    except ValidationError as error:
        flash.error(request, "Not given: " + " ".join(error.messages))
    else:
        customer_accessed(request, customer, AccessRecord.Action.CHANGED, f"coupon {coupon.code}")
        flash.success(request, f"Coupon {coupon.code} ({coupon.label} off) given; it is on the timeline.")
    return _back(customer)


@require_POST
@staff_required
def merge(request, customer_id: int):
    _require(request, "customers.change_customer", "Your role does not merge customers.")
    survivor = _live_customer(customer_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _refused(request, survivor, form)
    wanted = form.cleaned_data["duplicate"].strip()
    duplicate = (
        Customer.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else customer_by_email(wanted)
    )
    if duplicate is None:
        flash.error(request, f"Not merged: no customer {wanted}.")
        return _back(survivor)
    try:
        customer_merge(survivor=survivor, duplicate=duplicate, actor=request.user.get_username())
    except ValidationError as error:
        flash.error(request, "Not merged: " + " ".join(error.messages))
    else:
        customer_accessed(request, survivor, AccessRecord.Action.MERGED, f"customer #{duplicate.pk}")
        flash.success(request, f"{wanted} merged into this customer: their history is here now.")
    return _back(survivor)


@require_GET
@staff_required
def export(request, customer_id: int):
    """Everything held about the customer, as one JSON file (a data subject's access request)."""
    _require(request, "customers.change_customer", "Your role does not export customer data.")
    customer = get_object_or_404(Customer, pk=customer_id)
    customer_accessed(request, customer, AccessRecord.Action.EXPORTED)
    data = {
        "customer_id": customer.pk,
        "exported_at": clock.now(),
        "exported_by": request.user.get_username(),
        **privacy.customer_export(customer.pk),
    }
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@require_POST
@staff_required
def erase(request, customer_id: int):
    _require(request, "customers.delete_customer", "Your role does not erase customers.")
    customer = _live_customer(customer_id)
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _refused(request, customer, form)
    customer_erase(customer=customer, actor=request.user.get_username())
    customer_accessed(request, customer, AccessRecord.Action.ERASED)
    flash.success(request, "Personal data erased. Orders and their amounts stay for the books.")
    return _back(customer)


ACCESS_PER_PAGE = 100


@require_GET
@staff_required
def access_log(request):
    """Who viewed, changed, exported or erased which customer: newest first, by staff member, customer
    or action."""
    _require(request, "console.view_access_log", "Your role does not see the access log.")
    records = AccessRecord.objects.select_related("customer").order_by("-at", "-id")
    actor = request.GET.get("actor", "").strip()[:150]
    if actor:
        records = records.filter(actor=actor)
    customer_id = request.GET.get("customer", "")
    if customer_id.isdigit():
        records = records.filter(customer_id=int(customer_id))
    action = request.GET.get("action", "")
    if action in AccessRecord.Action.values:
        records = records.filter(action=action)
    page = Paginator(records, ACCESS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/access_log.html",
        {
            "page": page,
            "actor": actor,
            "customer_id": customer_id,
            "action": action,
            "actions": AccessRecord.Action.choices,
        },
    )
