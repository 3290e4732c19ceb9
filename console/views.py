import csv
from datetime import date, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carecrm import clock
from console import dashboards, reports, selectors
from console.forms import ARTICLE_INITIAL_FIELDS, ArticleForm
from console.models import WeeklyReport
from customers.services import access_record
from knowledgebase import services as kb_services
from knowledgebase.models import Article
from knowledgebase.selectors import knowledge_gaps
from orders.models import OrderAlert
from orders.services import alert_resolve


def staff_required(view):
    """Signed-out visitors go to the login page; a signed-in account without staff access (the
    integration user) gets 403, not a redirect back to a login page that would send it here again."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("The console is for staff accounts.")
        return view(request, *args, **kwargs)

    return wrapped


def customer_accessed(request, customer, action: str, detail: str = "") -> None:
    """Note in the access log that the signed-in staff member did `action` to this customer's data."""
    access_record(
        customer_id=customer.pk,
        actor=request.user.get_username(),
        action=action,
        now=clock.now(),
        detail=detail,
    )


@staff_required
def start(request):
    """Where signing in lands: each role's own work first."""
    user = request.user
    if user.has_perm("console.view_dashboards"):
        return redirect("console:dashboards")
    if user.has_perm("tickets.view_ticket"):
        return redirect("console:inbox")
    if user.has_perm("campaigns.view_campaign"):
        return redirect("console:campaigns")
    return redirect("console:home")


@staff_required
def home(request):
    stages = selectors.stage_counts()
    return render(
        request,
        "console/home.html",
        {
            "stages": stages,
            "customers_total": sum(row["count"] for row in stages),
            "recent_events": selectors.recent_events(),
            "alert_counts": selectors.open_alert_counts(),
        },
    )


@staff_required
def alerts(request):
    """Orders that need a person now: double charges, unrefunded cancellations, overdue refunds, late
    deliveries and what customers asked for on the tracking page. Urgent first."""
    return render(request, "console/alerts.html", {"alerts": selectors.open_alerts()})


@require_POST
@staff_required
def alert_resolve_view(request, alert_id: int):
    if not request.user.has_perm("orders.change_orderalert"):
        raise PermissionDenied("Your role cannot resolve alerts.")
    alert = get_object_or_404(OrderAlert, pk=alert_id)
    if alert_resolve(alert=alert, actor=request.user.get_username()):
        messages.success(request, f"{alert.get_kind_display()} on order {alert.order.number} resolved.")
    else:
        messages.info(request, "That alert was already resolved.")
    return redirect("console:alerts")


# --- Knowledge base ---------------------------------------------------------------------------------

ARTICLES_PER_PAGE = 50


def _can_edit_articles(user) -> bool:
    return user.has_perm("knowledgebase.change_article")


@staff_required
def articles(request):
    """Every article, drafts too, with what customers made of it; newest change first."""
    found = Article.objects.select_related("category").order_by("-updated_at", "-pk")
    status = request.GET.get("status", "")
    if status in Article.Status.values:
        found = found.filter(status=status)
    query = request.GET.get("q", "").strip()[:200]
    if query:
        found = found.filter(Q(title__icontains=query) | Q(summary__icontains=query))
    page = Paginator(found, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/articles.html",
        {"page": page, "status": status, "q": query, "statuses": Article.Status.choices},
    )


@staff_required
def article_edit(request, article_id: int | None = None):
    article = get_object_or_404(Article, pk=article_id) if article_id else None
    can_edit = _can_edit_articles(request.user)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Your role cannot edit articles.")
        form = ArticleForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            action = request.POST.get("action", "save")
            if action == "publish":
                data["status"] = Article.Status.PUBLISHED
            elif action == "unpublish":
                data["status"] = Article.Status.DRAFT
            try:
                saved = kb_services.article_save(article=article, data=data, editor=request.user)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"“{saved.title}” saved ({saved.get_status_display().lower()}).")
                return redirect("console:article-edit", article_id=saved.pk)
    else:
        initial = {name: getattr(article, name) for name in ARTICLE_INITIAL_FIELDS} if article else {}
        form = ArticleForm(initial=initial)
    revisions = list(article.revisions.select_related("editor")[:10]) if article else []
    return render(
        request,
        "console/article_edit.html",
        {"form": form, "article": article, "revisions": revisions, "can_edit": can_edit},
    )


@staff_required
def knowledge_gaps_view(request):
    return render(request, "console/knowledge_gaps.html", knowledge_gaps(now=clock.now()))


# --- Dashboards and the weekly report -----------------------------------------------------------------

PERIODS = (4, 8, 13, 26)


def _dashboard_allowed(user, name: str) -> bool:
    if name == "campaigns":
        return user.has_perm("campaigns.view_campaign")
    return user.has_perm("console.view_dashboards")


@staff_required
def dashboard(request, name: str = "support"):
    if name not in dashboards.DASHBOARDS:
        raise Http404("No such dashboard.")
    if not _dashboard_allowed(request.user, name):
        raise PermissionDenied("Your role does not see this dashboard.")
    weeks = int(request.GET.get("weeks", "8")) if request.GET.get("weeks", "8").isdigit() else 8
    weeks = weeks if weeks in PERIODS else 8
    title, build = dashboards.DASHBOARDS[name]
    charts = build(dashboards.Period(weeks=weeks, now=clock.now()))
    wanted = request.GET.get("csv")
    if wanted:
        chart = next((chart for chart in charts if chart.name == wanted), None)
        if chart is None:
            raise Http404("No such chart.")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{chart.name}.csv"'
        writer = csv.writer(response)
        writer.writerow(chart.headers)
        writer.writerows(chart.rows)
        return response
    return render(
        request,
        "console/dashboard.html",
        {
            "name": name,
            "title": title,
            "charts": charts,
            "weeks": weeks,
            "periods": PERIODS,
            "tabs": [
                (key, label)
                for key, (label, _) in dashboards.DASHBOARDS.items()
                if _dashboard_allowed(request.user, key)
            ],
        },
    )


@staff_required
def weekly_report(request):
    if not request.user.has_perm("console.view_dashboards"):
        raise PermissionDenied("Your role does not see the weekly report.")
    now = clock.now()
    last_week = reports.week_start_of(timezone.localdate(now)) - timedelta(days=7)
    try:
        start = reports.week_start_of(date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        start = last_week
    if request.method == "POST":
        if not request.user.has_perm("console.add_weeklyreport"):
            raise PermissionDenied("Your role cannot send the weekly report.")
        sent = reports.weekly_report_send(start=start, now=now)
        if sent:
            messages.success(
                request, f"Report of the week of {start} sent to {len(sent.recipients)} managers."
            )
        else:
            messages.info(request, f"The report of the week of {start} had already gone out.")
        return redirect(f"{request.path}?week={start.isoformat()}")
    sent = WeeklyReport.objects.filter(week_start=start).first()
    return render(
        request,
        "console/weekly_report.html",
        {
            **reports.weekly_report(start),
            "sent": sent,
            "previous_week": start - timedelta(days=7),
            "next_week": start + timedelta(days=7) if start < last_week else None,
        },
    )
