import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

SMS_CONSENT_TEXT = _(
    "Acepto recibir por SMS los recordatorios de este webinar. Puedo responder STOP para "
    "dejar de recibirlos."
)


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=200)
    email = forms.EmailField(label=_("Correo electrónico"))
    phone = forms.CharField(
        label=_("Teléfono móvil (opcional)"),
        max_length=20,
        required=False,
        help_text=_("Con prefijo internacional, p. ej. +525512345678."),
    )
    time_zone = forms.CharField(label=_("Zona horaria"), max_length=64)
    sms_consent = forms.BooleanField(label=SMS_CONSENT_TEXT, required=False)
    # Honeypot: hidden from people, filled by bots.
    website = forms.CharField(required=False, label=_("No rellenar"))

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("Zona horaria desconocida.")) from None
        return value

    def clean(self):
        data = super().clean()
        if data.get("sms_consent") and not data.get("phone"):
            self.add_error("phone", _("Indica tu teléfono para recibir los SMS."))
        return data
