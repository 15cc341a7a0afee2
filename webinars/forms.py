import datetime
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSplitDateTimeWidget

from courseops.core.display import zone_label
from webinars.models import Webinar

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


class WallClockDateTimeField(forms.SplitDateTimeField):
    """A date and time as typed, with no zone: the form puts it in the webinar's."""

    def compress(self, data_list):
        if not data_list:
            return None
        date, time = data_list
        if date in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.datetime.combine(date, time)


class WebinarAdminForm(forms.ModelForm):
    """Staff read and type "Inicio" in the webinar's own zone, named in words, whatever
    the business's or their browser's zone (a Madrid webinar at 22:00 reads 22:00)."""

    starts_at = WallClockDateTimeField(
        label=capfirst(Webinar._meta.get_field("starts_at").verbose_name),
        widget=UnfoldAdminSplitDateTimeWidget,
    )

    class Meta:
        model = Webinar
        exclude = []  # noqa: DJ006 (the admin picks the fields: its fieldsets)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["starts_at"]
        if self.instance.pk:
            local = timezone.localtime(self.instance.starts_at, self.instance.tz)
            self.initial["starts_at"] = local.replace(tzinfo=None)
            field.label = _("Inicio, %(zone)s") % {"zone": zone_label(self.instance.time_zone)}
        field.help_text = _(
            "La hora del webinar en su zona horaria (campo «zona horaria»); los inscritos la "
            "ven en la suya."
        )

    def clean(self):
        data = super().clean()
        local = data.get("starts_at")
        if local is not None and "time_zone" not in self.errors:
            zone = data.get("time_zone") or self.instance.time_zone
            data["starts_at"] = wall_clock_to_utc(local, zone)
        return data


def wall_clock_to_utc(local, time_zone):
    """A naive wall-clock time in `time_zone` as a moment in UTC; of an ambiguous time
    (the hour a DST change repeats) the first is taken."""
    return local.replace(tzinfo=zoneinfo.ZoneInfo(time_zone)).astimezone(datetime.UTC)
