"""The agent inbox: views of the open tickets (mine, unassigned, urgent, breaching, all) and the ticket
page with the conversation, the reply box with macros, notes and the customer beside it. Replies and
notes post through htmx and swap the conversation in place; without JavaScript they post and redirect."""

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecrm import clock
from console.forms import TicketLogForm
from console.views import customer_accessed, staff_required
from customers.models import AccessRecord
from lifecycle.loyalty import loyalty_summary
from orders.recommendations import recommendations_for
from orders.value import customer_value
from tickets import selectors, services
from tickets.models import Macro, Team, Ticket

TICKETS_PER_PAGE = 50
# The largest attachment an agent may send (what most mail servers accept).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
REPLY_STATUSES = [
    (Ticket.Status.PENDING, "Send, waiting on the customer"),
    (Ticket.Status.OPEN, "Send, keep open"),
    (Ticket.Status.RESOLVED, "Send and resolve"),
]


def _agent(request) -> None:
    if not request.user.has_perm("tickets.view_ticket"):
        raise PermissionDenied("Your role does not work tickets.")


def _may_change(request) -> None:
    if not request.user.has_perm("tickets.change_ticket"):
        raise PermissionDenied("Your role cannot answer tickets.")


@require_GET
@staff_required
def inbox(request):
    _agent(request)
    now = clock.now()
    view = request.GET.get("view", "mine")
    if view not in selectors.VIEWS:
        view = "mine"
    team = request.GET.get("team", "")
    query = request.GET.get("q", "").strip()[:200]
    tickets = selectors.inbox(
        view=view,
        user=request.user,
        now=now,
        status=request.GET.get("status", ""),
        channel=request.GET.get("channel", ""),
        team=int(team) if team.isdigit() else None,
        query=query,
    )
    page = Paginator(tickets, TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.view_counts(user=request.user, now=now)
    return render(
        request,
        "console/inbox.html",
        {
            "page": page,
            "view": view,
            "views": [(key, label, counts[key]) for key, label in selectors.VIEWS.items()],
            "teams": Team.objects.order_by("name"),
            "statuses": Ticket.Status.choices,
            "channels": Ticket.Channel.choices,
            "filters": {
                "status": request.GET.get("status", ""),
                "channel": request.GET.get("channel", ""),
                "team": team,
                "q": query,
            },
            "now": now,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def ticket_log(request):
    """Log a phone call or a chat as a ticket on the customer's record."""
    _may_change(request)
    # The customer page links here with the customer (and the channel) filled in.
    prefill = {name: request.GET.get(name, "")[:254] for name in ("email", "name", "channel", "order_number")}
    form = TicketLogForm(request.POST or None, initial=prefill)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opened = services.ticket_open(
                channel=data["channel"],
                email=data["email"],
                name=data["name"],
                subject=data["subject"],
                body=data["body"],
                order_number=data["order_number"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            flash.success(request, f"{opened.ticket.reference} logged.")
            return redirect("console:ticket", ticket_id=opened.ticket.pk)
    return render(request, "console/ticket_log.html", {"form": form}, status=400 if form.errors else 200)


def _ticket_context(request, ticket_id: int) -> dict:
    page = selectors.ticket_page(ticket_id)
    if page is None:
        raise Http404("No such ticket.")
    return {
        "page": page,
        "ticket": page.ticket,
        "macros": Macro.objects.all(),
        "reply_statuses": REPLY_STATUSES,
        "statuses": Ticket.Status.choices,
        "now": clock.now(),
        "currency": settings.CARECRM["CURRENCY"],
        "loyalty": loyalty_summary(page.ticket.customer),
        "value": customer_value(page.ticket.customer),
        "suggestions": recommendations_for(page.ticket.customer),
    }


@require_GET
@staff_required
def ticket(request, ticket_id: int):
    _agent(request)
    context = _ticket_context(request, ticket_id)
    # The page shows the customer's orders, addresses and history beside the conversation.
    customer_accessed(
        request, context["ticket"].customer, AccessRecord.Action.VIEWED, context["ticket"].reference
    )
    return render(request, "console/ticket.html", context)


def _conversation(request, ticket_id: int, *, status: int = 200):
    if request.headers.get("HX-Request"):
        return render(
            request, "console/_conversation.html", _ticket_context(request, ticket_id), status=status
        )
    return redirect("console:ticket", ticket_id=ticket_id)


@require_POST
@staff_required
def reply(request, ticket_id: int):
    _may_change(request)
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    files = request.FILES.getlist("attachments")
    if any(upload.size > MAX_ATTACHMENT_BYTES for upload in files):
        return HttpResponse("An attachment is larger than 20 MB.", status=413, content_type="text/plain")
    try:
        services.ticket_reply(
            ticket=ticket,
            author=request.user,
            text=request.POST.get("text", ""),
            status=request.POST.get("status", Ticket.Status.PENDING),
            attachments=[(f.name, f.content_type or "application/octet-stream", f.read()) for f in files],
        )
    except ValidationError as error:
        return _refused(request, ticket_id, error)
    flash.success(request, f"Answer sent on {ticket.reference}.")
    return _conversation(request, ticket_id)


@require_POST
@staff_required
def note(request, ticket_id: int):
    _may_change(request)
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    try:
        services.ticket_note(ticket=ticket, author=request.user, text=request.POST.get("text", ""))
    except ValidationError as error:
        return _refused(request, ticket_id, error)
    return _conversation(request, ticket_id)


@require_POST
@staff_required
def status(request, ticket_id: int):
    _may_change(request)
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    try:
        services.ticket_status_set(
            ticket=ticket,
            status=request.POST.get("status", ""),
            now=clock.now(),
            actor=request.user.get_username(),
        )
    except ValidationError as error:
        return _refused(request, ticket_id, error)
    return _conversation(request, ticket_id)


@require_POST
@staff_required
def assign(request, ticket_id: int):
    _may_change(request)
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    services.ticket_assign(ticket=ticket, agent=request.user if request.POST.get("to") == "me" else None)
    return _conversation(request, ticket_id)


@require_GET
@staff_required
def macro(request, ticket_id: int):
    """The chosen macro's text for this ticket (`?macro=<id>`), as the reply box to swap in."""
    _agent(request)
    ticket = get_object_or_404(Ticket.objects.select_related("customer", "order"), pk=ticket_id)
    chosen_id = request.GET.get("macro", "")
    if not chosen_id.isdigit():
        return render(request, "console/_reply_text.html", {"text": ""})
    chosen = get_object_or_404(Macro, pk=int(chosen_id))
    text = services.macro_render(text=chosen.text, ticket=ticket, agent=request.user)
    return render(request, "console/_reply_text.html", {"text": text, "macro": chosen})


def _refused(request, ticket_id: int, error) -> HttpResponse:
    message = "; ".join(error.messages)
    if request.headers.get("HX-Request"):
        context = {**_ticket_context(request, ticket_id), "error": message}
        return render(request, "console/_conversation.html", context, status=400)
    flash.error(request, message)
    return redirect("console:ticket", ticket_id=ticket_id)
