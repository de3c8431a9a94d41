"""TOTP enrolment and verification (django-otp) for staff."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from logbook.models import Category
from logbook.services import entry_append
from portal.forms import OtpForm


def _next(request) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


def _qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=4)


@login_required
def otp_setup(request):
    """Enrol an authenticator app: scan the code, type one code to confirm."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"/portal/2fa/verify/?next={_next(request)}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="ARC", confirmed=False)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                entry_append(action="security.otp_enrolled", category=Category.SECURITY, actor=request.user,
                             message=_("Double authentification activée pour %(u)s") % {
                                 "u": request.user.get_username()})
            otp_login(request, device)
            messages.success(request, _("Double authentification activée."))
            return redirect(_next(request))
        form.add_error("token", _("Code incorrect. Vérifiez l'heure du téléphone et réessayez."))
    return render(request, "portal/otp_setup.html", {
        "form": form, "qr": _qr_svg(device.config_url), "next": _next(request),
        "key_b32": base64.b32encode(device.bin_key).decode()})


@login_required
def otp_verify(request):
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                return redirect(_next(request))
        form.add_error("token", _("Code incorrect."))
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"/portal/2fa/setup/?next={_next(request)}")
    return render(request, "portal/otp_verify.html", {"form": form, "next": _next(request)})
