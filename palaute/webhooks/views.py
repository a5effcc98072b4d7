"""Webhook settings (organisation settings → Webhooks), for managers and owners: the endpoints,
their secrets, a test event, and each endpoint's delivery log with "Redeliver".

Every lookup is scoped to ``request.organisation``: another organisation's endpoint or
delivery is a 404.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role
from palaute.accounts.permissions import member_required
from palaute.webhooks import conf, endpoints, sending
from palaute.webhooks.forms import EndpointForm, RotateForm
from palaute.webhooks.models import Delivery, Endpoint

LOG_PAGE_SIZE = 50
manager_required = member_required(Role.MANAGER)


@manager_required
def webhook_list(request):
    since = timezone.now() - timedelta(days=1)
    rows = (
        Endpoint.objects.filter(organisation=request.organisation)
        .annotate(
            recent_failures=Count(
                "deliveries",
                filter=Q(
                    deliveries__created_at__gte=since,
                    deliveries__status__in=[Delivery.Status.FAILED, Delivery.Status.GIVEN_UP],
                ),
            )
        )
        .order_by("name", "id")
    )
    return render(
        request,
        "webhooks/list.html",
        {"nav": "settings", "endpoints": rows, "disable_after": conf.disable_after_given_up()},
    )


@manager_required
def webhook_create(request):
    form = EndpointForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        endpoint = endpoints.create_endpoint(request.organisation, request.user, form.cleaned_data)
        messages.success(request, _("Webhook created. Copy its signing secret below."))
        return redirect("webhook_detail", pk=endpoint.pk)
    return render(request, "webhooks/form.html", {"nav": "settings", "form": form})


@never_cache  # the page shows the signing secret
@manager_required
def webhook_detail(request, pk: int):
    endpoint = _endpoint(request, pk)
    deliveries = _log(request, endpoint)
    context = {
        "nav": "settings",
        "endpoint": endpoint,
        "page": deliveries,
        "status_filter": request.GET.get("status", ""),
        "statuses": Delivery.Status.choices,
        "rotate_form": RotateForm(),
        "disable_after": conf.disable_after_given_up(),
        "now": timezone.now(),
    }
    return render(request, "webhooks/detail.html", context)


@manager_required
def webhook_edit(request, pk: int):
    endpoint = _endpoint(request, pk)
    form = EndpointForm(request.POST or None, organisation=request.organisation, endpoint=endpoint)
    if request.method == "POST" and form.is_valid():
        if endpoints.update_endpoint(endpoint, request.user, form.cleaned_data):
            messages.success(request, _("Webhook saved."))
        return redirect("webhook_detail", pk=endpoint.pk)
    return render(
        request, "webhooks/form.html", {"nav": "settings", "form": form, "endpoint": endpoint}
    )


@manager_required
def webhook_delete(request, pk: int):
    endpoint = _endpoint(request, pk)
    if request.method == "POST":
        endpoints.delete_endpoint(endpoint, request.user)
        messages.success(request, _("Webhook “%(name)s” deleted.") % {"name": endpoint.name})
        return redirect("webhook_list")
    return render(
        request,
        "webhooks/delete.html",
        {"nav": "settings", "endpoint": endpoint, "deliveries": endpoint.deliveries.count()},
    )


@require_POST
@manager_required
def webhook_rotate(request, pk: int):
    endpoint = _endpoint(request, pk)
    form = RotateForm(request.POST)
    immediately = form.is_valid() and form.cleaned_data["immediately"]
    endpoints.rotate_secret(endpoint, request.user, immediately=immediately)
    if immediately:
        messages.success(request, _("New secret made; the old one no longer signs."))
    else:
        messages.success(
            request, _("New secret made; the old one also signs until the time shown.")
        )
    return redirect("webhook_detail", pk=endpoint.pk)


@require_POST
@manager_required
def webhook_toggle(request, pk: int):
    endpoint = _endpoint(request, pk)
    active = request.POST.get("active") == "1"
    endpoints.set_active(endpoint, request.user, active)
    if active:
        messages.success(request, _("Webhook turned on."))
    else:
        messages.success(request, _("Webhook turned off: it hears of no events."))
    return redirect("webhook_detail", pk=endpoint.pk)


@require_POST
@manager_required
def webhook_test(request, pk: int):
    endpoint = _endpoint(request, pk)
    endpoints.send_test(endpoint)
    messages.success(request, _("Test event queued; its result appears in the log below."))
    return redirect("webhook_detail", pk=endpoint.pk)


@manager_required
def webhook_delivery(request, pk: int, delivery_pk: int):
    endpoint = _endpoint(request, pk)
    delivery = _delivery(request, endpoint, delivery_pk)
    if request.headers.get("HX-Request") and request.GET.get("part") == "row":
        # A waiting row in the log asks for itself again until it has been tried.
        return render(
            request, "webhooks/_delivery_row.html", {"endpoint": endpoint, "delivery": delivery}
        )
    body = sending.request_body(delivery, endpoint).decode()
    return render(
        request,
        "webhooks/delivery.html",
        {
            "nav": "settings",
            "endpoint": endpoint,
            "delivery": delivery,
            "body": _pretty(body),
            "attempts": delivery.attempt_log.all(),
        },
    )


@require_POST
@manager_required
def webhook_redeliver(request, pk: int, delivery_pk: int):
    endpoint = _endpoint(request, pk)
    delivery = _delivery(request, endpoint, delivery_pk)
    if not endpoint.is_active and delivery.event != "ping":
        error = _("Turn the webhook on before redelivering.")
    elif not sending.redeliver(delivery):
        error = _("This delivery is being sent right now.")
    else:
        error = ""
    if request.headers.get("HX-Request"):
        delivery.refresh_from_db()
        return render(
            request,
            "webhooks/_delivery_row.html",
            {"endpoint": endpoint, "delivery": delivery, "row_error": error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Redelivery queued."))
    return redirect("webhook_detail", pk=endpoint.pk)


# ----------------------------------------------------------------------------- helpers


def _endpoint(request, pk: int) -> Endpoint:
    return get_object_or_404(Endpoint, pk=pk, organisation=request.organisation)


def _delivery(request, endpoint: Endpoint, delivery_pk: int) -> Delivery:
    return get_object_or_404(
        Delivery.objects.select_related("organisation"),
        pk=delivery_pk,
        endpoint=endpoint,
        organisation=request.organisation,
    )


def _log(request, endpoint: Endpoint):
    deliveries = Delivery.objects.filter(endpoint=endpoint, organisation=request.organisation)
    status = request.GET.get("status", "")
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    deliveries = deliveries.defer("payload").order_by("-created_at", "-id")
    return Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
