"""Staff two-factor pages: enrol an authenticator app (TOTP, django-otp) and give its code
after the password. Who must do so is `staff_auth.two_factor_required`."""

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from courseops.core.staff_auth import safe_next

DEVICE_NAME = "CourseOps"


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Código de la app de autenticación"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "")


def _page(request, template, **context):
    context = {**admin.site.each_context(request), "next": safe_next(request), **context}
    return TemplateResponse(request, template, context)


@never_cache
@staff_member_required
def verify(request):
    """The code after the password: any confirmed device of the person may answer."""
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('staff_2fa:enrol')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(safe_next(request))
        # django-otp's devices slow down repeated wrong codes themselves (throttling).
        form.add_error("token", _("Código incorrecto o caducado. Prueba con el siguiente."))
    return _page(
        request, "admin/staff_2fa/verify.html", form=form, title=_("Verificación en dos pasos")
    )


@never_cache
@staff_member_required
def enrol(request):
    """Enrol an authenticator app. The key is shown only while the device is unconfirmed:
    once a code proves the app has it, it is never shown again. Someone with a confirmed
    device must verify first (a stolen password must not be enough to add a device)."""
    user = request.user
    if user_has_device(user, confirmed=True):
        if not user.is_verified():
            return redirect(f"{reverse('staff_2fa:verify')}?{request.GET.urlencode()}")
        messages.info(request, _("Tu cuenta ya tiene la verificación en dos pasos activada."))
        return redirect(safe_next(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            messages.success(request, _("Verificación en dos pasos activada."))
            return redirect(safe_next(request))
        form.add_error("token", _("Código incorrecto o caducado. Prueba con el siguiente."))
    uri = device.config_url
    svg = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return _page(
        request,
        "admin/staff_2fa/enrol.html",
        form=form,
        title=_("Activa la verificación en dos pasos"),
        qr_svg=svg.to_string(encoding="unicode"),
        otpauth_uri=uri,
        secret=base64.b32encode(device.bin_key).decode(),
    )


app_name = "staff_2fa"
urlpatterns = [
    path("verificar/", verify, name="verify"),
    path("alta/", enrol, name="enrol"),
]
