import datetime
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSplitDateTimeWidget

from courseops.core.display import zone_label
from courseops.core.inputs import TimeZoneChoiceField
from webinars.models import Reminder, Webinar, describe_offset

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


# Distances staff choose a reminder from, longest first.
REMINDER_OFFSETS = [
    datetime.timedelta(days=14),
    datetime.timedelta(days=7),
    datetime.timedelta(days=3),
    datetime.timedelta(days=2),
    datetime.timedelta(days=1),
    datetime.timedelta(hours=12),
    datetime.timedelta(hours=6),
    datetime.timedelta(hours=3),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=1),
    datetime.timedelta(minutes=30),
    datetime.timedelta(minutes=15),
    datetime.timedelta(minutes=10),
    datetime.timedelta(minutes=5),
]


def _offset_label(offset):
    return _("%(offset)s antes") % {"offset": describe_offset(offset)}


def _minutes(offset):
    return str(int(offset.total_seconds() // 60))


class OffsetChoiceField(forms.TypedChoiceField):
    """ "7 días antes", "2 horas antes"...: a reminder's distance picked in words, kept as
    the model's duration. An offset set otherwise (an import, the API) stays offered."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[(_minutes(o), _offset_label(o)) for o in REMINDER_OFFSETS],
            coerce=lambda minutes: datetime.timedelta(minutes=int(minutes)),
            **kwargs,
        )

    def prepare_value(self, value):
        if isinstance(value, datetime.timedelta):
            if value not in REMINDER_OFFSETS:
                self.choices = sorted(
                    [*self.choices, (_minutes(value), _offset_label(value))],
                    key=lambda choice: -int(choice[0]),
                )
            return _minutes(value)
        return value

    def valid_value(self, value):
        return str(value).isdigit() and int(value) > 0


class ReminderForm(forms.ModelForm):
    offset = OffsetChoiceField(label=capfirst(Reminder._meta.get_field("offset").verbose_name))

    class Meta:
        model = Reminder
        exclude = []  # noqa: DJ006 (the inline picks the fields)


class WebinarAdminForm(forms.ModelForm):
    """Staff read and type "Inicio" in the webinar's own zone, named in words, whatever
    the business's or their browser's zone (a Madrid webinar at 22:00 reads 22:00)."""

    starts_at = WallClockDateTimeField(
        label=capfirst(Webinar._meta.get_field("starts_at").verbose_name),
        widget=UnfoldAdminSplitDateTimeWidget,
    )
    time_zone = TimeZoneChoiceField(
        label=capfirst(Webinar._meta.get_field("time_zone").verbose_name)
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
