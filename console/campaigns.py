"""The campaign builder: marketers list campaigns with their headline results, set a campaign's trigger,
exits or schedule, write its steps in a template editor with a live preview against a real customer and
a test send, move it through draft → active ⇄ paused → archived, and read its results per step and
variant. Every change goes through campaigns.builder and campaigns.services."""

import secrets

from csp.decorators import csp
from django.conf import settings
from django.contrib import messages as flash
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns import builder, selectors, services
from campaigns.models import BroadcastRun, Campaign, Step
from campaigns.sending import message_render, preview_context, step_test_send
from campaigns.templating import template_check, template_variables
from carecrm import clock
from console.forms import JOURNEY_EVENT_KINDS, CampaignForm, StepForm
from console.views import staff_required
from customers.models import Customer
from customers.services import customer_by_email

RECENT_RUNS = 10
# How long the HTML of a preview stays readable: the editor asks for a fresh one at every change.
PREVIEW_SECONDS = 15 * 60
# An email is shown as it will be received: its own inline styles and remote images, but no script, no
# form, no request back to us but the images, and inside a sandbox (no cookies, no top navigation).
PREVIEW_POLICY = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["https:", "http:", "data:"],
    "frame-ancestors": ["'self'"],
    "sandbox": [True],
}
STATUS_ACTIONS = {
    Campaign.Status.ACTIVE: "Activate",
    Campaign.Status.PAUSED: "Pause",
    Campaign.Status.ARCHIVED: "Archive",
}


def _marketer(request) -> None:
    if not request.user.has_perm("campaigns.view_campaign"):
        raise PermissionDenied("Your role does not work with campaigns.")


def _may_change(request) -> None:
    if not request.user.has_perm("campaigns.change_campaign"):
        raise PermissionDenied("Your role cannot change campaigns.")


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET"])
@staff_required
def campaign_list(request):
    _marketer(request)
    campaigns = list(Campaign.objects.select_related("segment", "schedule").order_by("status", "name"))
    status = request.GET.get("status", "")
    if status in Campaign.Status.values:
        campaigns = [c for c in campaigns if c.status == status]
    totals = selectors.campaign_totals([c.pk for c in campaigns])
    return render(
        request,
        "console/campaigns.html",
        {
            "rows": [(campaign, totals[campaign.pk]) for campaign in campaigns],
            "currency": settings.CARECRM["CURRENCY"],
            "status": status,
            "statuses": Campaign.Status.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def campaign_new(request):
    _marketer(request)
    _may_change(request)
    kind = request.POST.get("kind") or request.GET.get("kind") or Campaign.Kind.TRIGGER
    if kind not in Campaign.Kind.values:
        kind = Campaign.Kind.TRIGGER
    form = CampaignForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = builder.campaign_save(campaign=None, data={**form.cleaned_data, "kind": kind})
        except ValidationError as error:
            _form_errors(form, error)
        else:
            flash.success(request, f"“{campaign.name}” created as a draft. Add its first step.")
            return redirect("console:step-new", campaign_id=campaign.pk)
    return render(
        request,
        "console/campaign_new.html",
        {"form": form, "kind": kind, "kinds": Campaign.Kind.choices, "event_kinds": JOURNEY_EVENT_KINDS},
    )


def _campaign_initial(campaign: Campaign) -> dict:
    initial = {name: getattr(campaign, name) for name in builder.CAMPAIGN_FIELDS}
    initial["entry_segment"] = campaign.entry_segment_id
    initial["segment"] = campaign.segment_id
    initial["schedule"] = builder.schedule_cron(campaign.schedule)
    if campaign.schedule:
        initial["schedule_time_zone"] = str(campaign.schedule.timezone)
    return initial


@require_http_methods(["GET", "POST"])
@staff_required
def campaign_detail(request, campaign_id: int):
    _marketer(request)
    campaign = get_object_or_404(Campaign.objects.select_related("schedule"), pk=campaign_id)
    if request.method == "POST":
        _may_change(request)
        form = CampaignForm(request.POST, kind=campaign.kind)
        if form.is_valid():
            try:
                builder.campaign_save(campaign=campaign, data=form.cleaned_data)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                flash.success(request, "Settings saved.")
                return redirect("console:campaign", campaign_id=campaign.pk)
    else:
        form = CampaignForm(initial=_campaign_initial(campaign), kind=campaign.kind)
    steps = list(campaign.steps.select_related("condition").prefetch_related("variants"))
    allowed_moves = Campaign.TRANSITIONS[campaign.status]
    return render(
        request,
        "console/campaign.html",
        {
            "campaign": campaign,
            "form": form,
            "steps": [(step, builder.delay_label(step.delay_minutes)) for step in steps],
            "results": selectors.campaign_results(campaign),
            "enrollments": selectors.enrollment_counts(campaign)
            if campaign.kind == Campaign.Kind.TRIGGER
            else None,
            "runs": list(BroadcastRun.objects.filter(campaign=campaign)[:RECENT_RUNS])
            if campaign.kind == Campaign.Kind.BROADCAST
            else [],
            "moves": [(to, label) for to, label in STATUS_ACTIONS.items() if to in allowed_moves],
            "can_change": request.user.has_perm("campaigns.change_campaign")
            and campaign.status != Campaign.Status.ARCHIVED,
            "event_kinds": JOURNEY_EVENT_KINDS,
            "currency": settings.CARECRM["CURRENCY"],
        },
    )


@require_POST
@staff_required
def campaign_status(request, campaign_id: int):
    _marketer(request)
    _may_change(request)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    to = request.POST.get("to", "")
    try:
        campaign = services.campaign_status_set(campaign=campaign, to=to)
    except ValidationError as error:
        flash.error(request, f"Not changed: {' '.join(error.messages)}")
    else:
        flash.success(request, f"“{campaign.name}” is {campaign.get_status_display().lower()}.")
    return redirect("console:campaign", campaign_id=campaign.pk)


@require_POST
@staff_required
def campaign_send_now(request, campaign_id: int):
    _marketer(request)
    _may_change(request)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        run = services.broadcast_send_now(campaign=campaign)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(
            request, f"Sending to {campaign.segment.name} started ({run.scheduled_for:%Y-%m-%d %H:%M})."
        )
    return redirect("console:campaign", campaign_id=campaign.pk)


# --- Steps -----------------------------------------------------------------------------------------


def _preview_customer(wanted: str) -> tuple[Customer | None, str]:
    """The customer a preview is rendered for, by email or id; (None, why) when there is none."""
    wanted = wanted.strip()
    if not wanted:
        return None, ""
    if wanted.isdigit():
        customer = Customer.objects.filter(pk=int(wanted), merged_into__isnull=True).first()
    else:
        customer = customer_by_email(wanted[:254])
    return customer, "" if customer else f"No customer {wanted}: showing made-up values."


def _preview(request, step: Step, customer: Customer | None) -> dict:
    """The rendered message, or the errors of templates that do not compile. The HTML is shown in a frame
    of its own (`html_url`): inline in the page it would fall under the console's Content-Security-Policy,
    which refuses the inline styles every email has."""
    errors = []
    for field in ("subject", "html", "text"):
        try:
            template_check(getattr(step, field), field=field)
        except ValidationError as error:
            errors.extend(f"{field}: {message}" for message in error.message_dict[field])
    if errors:
        return {"errors": errors}
    subject, text, html = message_render(step, preview_context(step=step, customer=customer, now=clock.now()))
    key = secrets.token_urlsafe(16)
    cache.set(f"step-preview:{request.user.pk}:{key}", html, PREVIEW_SECONDS)
    html_url = reverse("console:step-preview-html", kwargs={"key": key})
    return {"subject": subject, "text": text, "html": html, "html_url": html_url}


@require_GET
@staff_required
@xframe_options_sameorigin
@csp(PREVIEW_POLICY)
def step_preview_html(request, key: str):
    """The HTML of a preview rendered for this user in the last PREVIEW_SECONDS."""
    _marketer(request)
    html = cache.get(f"step-preview:{request.user.pk}:{key}")
    if html is None:
        raise Http404("This preview has expired: change the message or reload the page.")
    return HttpResponse(html)


def _step_from(form: StepForm, campaign: Campaign, step: Step | None) -> Step:
    """An unsaved step holding what the editor holds: what the preview and the test send render."""
    draft = Step(campaign=campaign, position=step.position if step else 0)
    for name, value in form.step_data().items():
        setattr(draft, name, value)
    return draft


@require_http_methods(["GET", "POST"])
@staff_required
def step_edit(request, campaign_id: int, step_id: int | None = None):
    _marketer(request)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    step = get_object_or_404(Step, pk=step_id, campaign=campaign) if step_id else None
    wanted_customer = request.POST.get("preview_customer") or request.GET.get("preview_customer", "")
    customer, customer_note = _preview_customer(wanted_customer)
    action = request.POST.get("action", "save")
    if request.method == "POST":
        form = StepForm(request.POST, kind=campaign.kind)
        if action != "preview":
            _may_change(request)
        if not form.is_valid():
            preview = {"errors": ["Fix the fields marked below to see the preview."]}
        else:
            draft = _step_from(form, campaign, step)
            preview = _preview(request, draft, customer)
            if action == "save":
                try:
                    saved = builder.step_save(campaign=campaign, step=step, data=form.step_data())
                except ValidationError as error:
                    _form_errors(form, error)
                else:
                    flash.success(request, f"Step {saved.position} “{saved.name}” saved.")
                    return redirect("console:campaign", campaign_id=campaign.pk)
            elif action == "test" and not preview.get("errors"):
                to = request.user.email
                if not to:
                    flash.error(request, "Your account has no email address to send the test to.")
                else:
                    step_test_send(step=draft, customer=customer, to=to, now=clock.now())
                    flash.success(request, f"Test sent to {to}.")
        if request.headers.get("HX-Request") and action == "preview":
            return render(
                request,
                "console/_step_preview.html",
                {"preview": preview, "customer": customer, "customer_note": customer_note},
            )
    else:
        form = StepForm(initial=StepForm.initial_for(step) if step else None, kind=campaign.kind)
        preview = _preview(request, step, customer) if step else None
    return render(
        request,
        "console/step_edit.html",
        {
            "campaign": campaign,
            "step": step,
            "form": form,
            "preview": preview,
            "customer": customer,
            "customer_note": customer_note,
            "preview_customer": wanted_customer,
            "can_change": request.user.has_perm("campaigns.change_step")
            and campaign.status != Campaign.Status.ARCHIVED,
            "variables": template_variables(now=clock.now()),
        },
    )


@require_POST
@staff_required
def step_delete(request, campaign_id: int, step_id: int):
    _marketer(request)
    if not request.user.has_perm("campaigns.delete_step"):
        raise PermissionDenied("Your role cannot remove steps.")
    step = get_object_or_404(Step, pk=step_id, campaign_id=campaign_id)
    try:
        builder.step_delete(step=step)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(request, f"Step “{step.name}” removed.")
    return redirect("console:campaign", campaign_id=campaign_id)
