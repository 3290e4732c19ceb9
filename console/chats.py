"""The chat workspace: the queue with waiting times, the agent's chats side by side with the customer
beside each, canned replies and knowledge-base links. The page is static; console/static chats.js talks
to the agent socket (tickets.chat.consumers.AgentConsumer) and fetches the pieces below. Whoever may
answer tickets answers chats, with the ticket page's customer panel beside them."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from carecrm.links import site_url
from console.inbox import _may_change, _ticket_context
from console.views import customer_accessed, staff_required
from customers.models import AccessRecord
from knowledgebase.models import SearchQuery
from knowledgebase.search import articles_search
from tickets import services
from tickets.chat.widget import agent_socket_url, widget_snippet
from tickets.models import Macro, Ticket

KB_RESULTS = 5


@require_GET
@staff_required
def workspace(request):
    _may_change(request)
    return render(
        request,
        "console/chats.html",
        {
            "socket_url": agent_socket_url(),
            "macros": Macro.objects.all(),
            "snippet": widget_snippet(token_placeholder=bool(settings.CARECRM["CHAT_IDENTITY_SECRET"])),
        },
    )


@require_GET
@staff_required
def customer_side(request, ticket_id: int):
    """The customer beside a chat: the same panel as on the ticket page."""
    _may_change(request)
    context = _ticket_context(request, ticket_id)
    if context["ticket"].channel != Ticket.Channel.CHAT:
        raise Http404("Not a chat.")
    customer_accessed(
        request, context["ticket"].customer, AccessRecord.Action.VIEWED, context["ticket"].reference
    )
    return render(request, "console/_customer_side.html", context)


@require_GET
@staff_required
def macro_text(request, ticket_id: int, macro_id: int):
    """A canned reply filled in for this chat, as plain text for the message box."""
    _may_change(request)
    ticket = get_object_or_404(Ticket.objects.select_related("customer", "order"), pk=ticket_id)
    chosen = get_object_or_404(Macro, pk=macro_id)
    text = services.macro_render(text=chosen.text, ticket=ticket, agent=request.user)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_GET
@staff_required
def kb_links(request):
    """Published articles for a few words, to paste into a chat as links. Agents' searches are not the
    customers': they are not logged among the knowledge gaps."""
    _may_change(request)
    query = request.GET.get("q", "").strip()[:200]
    if not query:
        return JsonResponse({"articles": []})
    found = articles_search(query=query, source=SearchQuery.Source.TICKET, per_page=KB_RESULTS, record=False)
    return JsonResponse(
        {"articles": [{"title": a.title, "url": site_url(a.get_absolute_url())} for a in found.articles]}
    )
