"""Proactive chat invitation rules in the console: everyone who works tickets sees what each rule's
invitations came to; managers and admins write the rules, which the widget then applies
(tickets.chat.invitations). Agents do not: whom the shop interrupts mid-visit is a managers' decision
(carecrm.roles takes the rules' add and change permissions back from them)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from console import selectors
from console.forms import ChatInvitationRuleForm
from console.views import staff_required
from tickets.models import ChatInvitationRule


@require_http_methods(["GET"])
@staff_required
def rule_list(request):
    if not request.user.has_perm("tickets.view_chatinvitationrule"):
        raise PermissionDenied("Your role does not see the chat invitations.")
    return render(request, "console/chat_invitations.html", {"results": selectors.chat_invitation_results()})


@require_http_methods(["GET", "POST"])
@staff_required
def rule_edit(request, rule_id: int | None = None):
    # The permission first, so that an agent learns nothing of which rules exist from a 404.
    needed = "tickets.change_chatinvitationrule" if rule_id else "tickets.add_chatinvitationrule"
    if not request.user.has_perm(needed):
        raise PermissionDenied("Your role cannot change the chat invitations.")
    rule = get_object_or_404(ChatInvitationRule, pk=rule_id) if rule_id else None
    form = ChatInvitationRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        # A rule is plain settings: no event, nothing else changes with it, so the form saves it (as the
        # admin does); the widget reads the rules afresh at every page a visitor opens.
        saved = form.save()
        state = "active" if saved.is_active else "inactive"
        messages.success(request, f"Invitation rule “{saved.name}” saved ({state}).")
        return redirect("console:chat-invitations")
    return render(
        request,
        "console/chat_invitation_edit.html",
        {"form": form, "rule": rule},
        status=400 if form.errors else 200,
    )
