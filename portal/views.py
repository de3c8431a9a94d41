"""The client portal: a client's sites, alarms, events, logbook, contacts,
temporary instructions and test mode; an installer's test mode and signals.

Every object comes through a customer-filtered selector, so an id of
somebody else's site or alarm is a 404, whatever the template shows.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alarms.models import Alarm
from portal import selectors, timeline
from portal.forms import ContactForm, InstructionForm, TestForm
from sites.models import Contact, TemporaryInstruction
from sites.selectors import customers_visible_to, instructions_in_force, sites_managed_by, sites_visible_to
from sites.services import SiteError, site_end_test, site_set_test
from sites.services_contacts import contact_remove, contact_save, contacts_reorder
from sites.services_instructions import instruction_propose, instruction_withdraw


def faults_by_site(sites) -> dict[int, list[str]]:
    """Open technical faults of each site, in words: INTAKE's Fault rows (battery,
    mains, communication, tamper) plus transmission (line) faults. Two queries
    for any number of sites; ``sites`` have their transmitters prefetched."""
    from alarms.models import Fault

    result: dict[int, list[str]] = {site.pk: [] for site in sites}
    for fault in Fault.objects.filter(site_id__in=list(result), closed_at__isnull=True).order_by("-opened_at"):
        result[fault.site_id].append(str(fault.get_kind_display()))
    for site in sites:
        for transmitter in site.transmitters.all():
            if transmitter.line_fault:
                result[site.pk].append(_("Défaut de transmission (#%(a)s)") % {"a": transmitter.account})
    return result


def video_url(site) -> str | None:
    """VIDEO's viewer for a client's cameras of this site, when the contract allows it."""
    if not site.customer.contract_video:
        return None
    for name in ("video:portal_site", "video:site"):
        try:
            return reverse(name, args=[site.pk])
        except NoReverseMatch:
            continue
    return None


def _sites_with_status(user):
    return (sites_visible_to(user).select_related("customer")
            .annotate(last_signal_at=Max("transmitters__last_seen_at"), last_test_at=Max("transmitters__last_test_at"),
                      open_alarms=Count("alarms", filter=Q(alarms__state__in=Alarm.ACTIVE_STATES), distinct=True))
            .prefetch_related("transmitters"))


@login_required
def home(request):
    sites = list(_sites_with_status(request.user))
    client_ids = set(selectors.client_sites(request.user).values_list("pk", flat=True))
    faults = faults_by_site(sites)
    for site in sites:
        site.is_client = site.pk in client_ids
        site.fault_list = faults[site.pk]
    return render(request, "portal/home.html", {
        "sites": sites, "installer_only": selectors.is_installer_only(request.user),
        "now": timezone.now()})


def _site_for(user, site_id, *, client=False):
    base = selectors.client_sites(user) if client else sites_visible_to(user)
    return get_object_or_404(
        base.select_related("customer").annotate(last_signal_at=Max("transmitters__last_seen_at"),
                                                  last_test_at=Max("transmitters__last_test_at")), pk=site_id)


@login_required
def site_detail(request, site_id: int):
    site = _site_for(request.user, site_id)
    is_client = selectors.client_sites(request.user).filter(pk=site.pk).exists()
    site.fault_list = faults_by_site([site])[site.pk]
    context = {"site": site, "is_client": is_client, "test_form": TestForm(),
               "now": timezone.now()}
    if is_client:
        today = timezone.localdate()
        months = [(today.year, today.month)]
        for _i in range(5):
            y, m = months[-1]
            months.append((y - 1, 12) if m == 1 else (y, m - 1))
        context.update({
            "alarms": selectors.alarms_for_client(request.user).filter(site=site).order_by("-created_at")[:10],
            "contacts": site.contacts.filter(pseudonymised_at__isnull=True).order_by("order", "id"),
            "can_manage": sites_managed_by(request.user).filter(pk=site.pk).exists(),
            "instructions": instructions_in_force(site),
            "proposals": TemporaryInstruction.objects.filter(site=site).order_by("-proposed_at")[:20],
            "instruction_form": InstructionForm(),
            "video_url": video_url(site),
            "months": months[1:],
        })
    return render(request, "portal/site.html", context)


@login_required
def site_events(request, site_id: int):
    site = _site_for(request.user, site_id)
    page = Paginator(selectors.signal_events_for(request.user, site=site), 50).get_page(request.GET.get("page"))
    return render(request, "portal/site_events.html", {"site": site, "page": page})


@login_required
def site_logbook(request, site_id: int):
    site = _site_for(request.user, site_id, client=True)
    page = Paginator(selectors.logbook_for_client(request.user, site=site), 50).get_page(request.GET.get("page"))
    return render(request, "portal/site_logbook.html", {"site": site, "page": page})


@login_required
def alarm_detail(request, alarm_id: int):
    alarm = get_object_or_404(selectors.alarms_for_client(request.user), pk=alarm_id)
    events = [timeline.describe(e) for e in selectors.alarm_events_for_client(request.user, alarm)
              if timeline.visible(e)]
    last_id = max([e["id"] for e in events], default=0)
    return render(request, "portal/alarm.html", {"alarm": alarm, "events": events, "last_id": last_id})


@login_required
def feed(request):
    """Feed rows after ``after`` for the user's sites: the resync of the live timeline."""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return JsonResponse({"error": "after must be a whole number"}, status=400)
    after = min(after, 2**62)
    rows = list(selectors.feed_for_client(request.user, after))
    return JsonResponse({"events": [timeline.describe(e) for e in rows if timeline.visible(e)],
                         "last_id": rows[-1].pk if rows else after})


# --- changes: contacts, temporary instructions, test mode --------------------------------

def _managed_site(user, site_id):
    return get_object_or_404(sites_managed_by(user), pk=site_id)


@login_required
def contact_edit(request, site_id: int, contact_id: int | None = None):
    site = _managed_site(request.user, site_id)
    contact = None
    if contact_id is not None:
        contact = get_object_or_404(Contact, pk=contact_id, site=site, pseudonymised_at__isnull=True)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in ContactForm.Meta.fields}
        try:
            contact_save(site=site, actor=request.user, values=values, contact_id=contact_id)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Contact enregistré."))
            return redirect(f"{reverse('portal:site', args=[site.pk])}#contacts")
    return render(request, "portal/contact_form.html", {"site": site, "form": form, "contact": contact})


@require_POST
@login_required
def contact_delete(request, site_id: int, contact_id: int):
    site = _managed_site(request.user, site_id)
    get_object_or_404(Contact, pk=contact_id, site=site, pseudonymised_at__isnull=True)
    contact_remove(site=site, actor=request.user, contact_id=contact_id)
    messages.success(request, _("Contact retiré."))
    return redirect(f"{reverse('portal:site', args=[site.pk])}#contacts")


@require_POST
@login_required
def contact_move(request, site_id: int, contact_id: int):
    """Move one contact up or down the call list (buttons work on a phone)."""
    site = _managed_site(request.user, site_id)
    ids = list(site.contacts.filter(pseudonymised_at__isnull=True).order_by("order", "id").values_list("pk", flat=True))
    if contact_id not in ids:
        raise Http404
    i = ids.index(contact_id)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        contacts_reorder(site=site, actor=request.user, ordered_ids=ids)
    return redirect(f"{reverse('portal:site', args=[site.pk])}#contacts")


@require_POST
@login_required
def instruction_new(request, site_id: int):
    site = _managed_site(request.user, site_id)
    form = InstructionForm(request.POST)
    supersedes = None
    if request.POST.get("supersedes"):
        supersedes = get_object_or_404(TemporaryInstruction, pk=request.POST["supersedes"], site=site)
    if form.is_valid():
        try:
            instruction_propose(site=site, actor=request.user, text=form.cleaned_data["text"],
                                starts_at=form.cleaned_data["starts_at"], ends_at=form.cleaned_data["ends_at"],
                                supersedes=supersedes)
        except SiteError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Consigne transmise au centre."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)  # the handling view, when an operator enters what a client phoned in
    return redirect(f"{reverse('portal:site', args=[site.pk])}#instructions")


@require_POST
@login_required
def instruction_end(request, instruction_id: int):
    instruction = get_object_or_404(TemporaryInstruction.objects.filter(site__in=sites_managed_by(request.user)),
                                    pk=instruction_id)
    try:
        instruction_withdraw(instruction_id=instruction.pk, actor=request.user)
    except SiteError as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('portal:site', args=[instruction.site_id])}#instructions")


@require_POST
@login_required
def site_test(request, site_id: int):
    """Mise en test for maintenance, bounded (1 h to 7 days); clients and installers."""
    site = _site_for(request.user, site_id)
    form = TestForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        until = timezone.now() + dt.timedelta(hours=form.cleaned_data["hours"])
        try:
            site_set_test(site=site, until=until, actor=request.user, reason=form.cleaned_data["reason"])
        except SiteError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Site en test jusqu'au %(t)s.") % {
                "t": timezone.localtime(until, site.tz).strftime("%d/%m/%Y %H:%M")})
    return redirect("portal:site", site_id=site.pk)


@require_POST
@login_required
def site_test_end(request, site_id: int):
    site = _site_for(request.user, site_id)
    site_end_test(site=site, actor=request.user)
    messages.success(request, _("Fin de la mise en test : le site est de nouveau surveillé."))
    return redirect("portal:site", site_id=site.pk)


@login_required
def monthly_report(request, customer_id: int, year: int, month: int):
    """LOGBOOK's monthly PDF, for a customer the user is a client of."""
    client_customers = customers_visible_to(request.user).filter(
        pk__in=selectors.client_sites(request.user).values("customer_id"))
    customer = get_object_or_404(client_customers, pk=customer_id)
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    try:
        from logbook.reports import monthly_pdf
    except ImportError:
        raise Http404("monthly reports are not available")
    pdf = monthly_pdf(customer.pk, year, month)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="arc-{customer.code}-{year}-{month:02d}.pdf"'
    return response
