"""The public contact form at /contact/: answers from the knowledge base appear as the customer types the
subject, and whatever they send becomes a ticket whose reference is shown and emailed."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from carecrm import clock, ratelimit
from knowledgebase.models import SearchQuery
from knowledgebase.search import articles_search, query_clean
from knowledgebase.visitor import visitor_id, visitor_remember
from tickets import services
from tickets.csat import RATINGS, csat_record, csat_ticket_id
from tickets.forms import ContactForm
from tickets.models import Ticket

SENT_SESSION_KEY = "contact_sent"
SUGGESTIONS = 5
# Shorter than this, the subject says too little to search on.
SUGGEST_MIN_CHARS = 3
# (requests, seconds) per client address: a person writing several messages, not a script.
CONTACT_LIMIT = (10, 3600)


@never_cache
@require_http_methods(["GET", "POST"])
def contact(request):
    if request.method != "POST":
        question = query_clean(request.GET.get("q", ""))
        form = ContactForm(initial={"subject": question, "order_number": request.GET.get("order", "")[:50]})
        suggestions = _suggest(request, question) if question else None
        response = render(request, "tickets/contact.html", {"form": form, "suggestions": suggestions})
        return visitor_remember(request, response)

    form = ContactForm(request.POST)
    if not ratelimit.hit(f"contact:{ratelimit.client_ip(request)}", *CONTACT_LIMIT):
        form.add_error(
            None, "You have sent us several messages in a short time. Please try again in an hour."
        )
        return render(request, "tickets/contact.html", {"form": form}, status=429)
    if form.is_valid():
        data = form.cleaned_data
        try:
            opened = services.ticket_open(
                channel=Ticket.Channel.WEB,
                email=data["email"],
                name=data["name"],
                subject=data["subject"],
                body=data["body"],
                order_number=data["order_number"],
                visitor=visitor_id(request),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            request.session[SENT_SESSION_KEY] = {"reference": opened.ticket.reference, "email": data["email"]}
            return redirect("contact:sent")
    return render(request, "tickets/contact.html", {"form": form}, status=400)


@never_cache
@require_GET
def sent(request):
    """The reference of the request this browser just sent; nothing for anyone else."""
    sent = request.session.get(SENT_SESSION_KEY)
    if not sent:
        return redirect("contact:form")
    return render(request, "tickets/contact_sent.html", sent)


@require_GET
def suggestions(request):
    """The htmx partial under the subject field: articles that may answer what is being typed."""
    question = query_clean(request.GET.get("subject", ""))
    response = render(
        request, "tickets/_suggestions.html", {"suggestions": _suggest(request, question), "oob": True}
    )
    return visitor_remember(request, response)


def _suggest(request, question: str):
    if len(question) < SUGGEST_MIN_CHARS:
        return None
    search_id = request.GET.get("search_id", "")
    return articles_search(
        query=question,
        source=SearchQuery.Source.CONTACT,
        per_page=SUGGESTIONS,
        prefix=True,
        visitor=visitor_id(request),
        replaces=int(search_id) if search_id.isdigit() and len(search_id) < 12 else None,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def csat(request, token: str):
    """The rating page behind the survey links: the chosen rating and a comment, recorded on sending."""
    ticket_id = csat_ticket_id(token)
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first() if ticket_id else None
    if ticket is None:
        return render(request, "tickets/csat.html", {"expired": True}, status=404)
    rating_text = request.POST.get("rating") or request.GET.get("rating", "")
    rating = int(rating_text) if rating_text in {"1", "2", "3", "4", "5"} else None
    context = {"ticket": ticket, "ratings": RATINGS.items(), "rating": rating}
    if request.method == "POST":
        if rating is None:
            return render(request, "tickets/csat.html", {**context, "error": "Choose a rating."}, status=400)
        csat_record(ticket=ticket, rating=rating, comment=request.POST.get("comment", ""), now=clock.now())
        return render(request, "tickets/csat.html", {**context, "thanks": True})
    return render(request, "tickets/csat.html", context)
