"""The small form a person uses to fix their own registration (the emailed link), also
the fields staff edit on an invalid intake record in the admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from students.intake.validation import clean_registration
from students.models import Language, Plan


class CorrectionForm(forms.Form):
    """Plain fields only: validation is `clean_registration`'s, shared by every door, so
    nothing here may refuse (and silently drop) what the person typed."""

    full_name = forms.CharField(label=_("Nombre completo"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(
        label=_("Teléfono"), max_length=40, required=False, help_text=_("Con prefijo: +52 55 ...")
    )
    country = forms.CharField(
        label=_("País"),
        max_length=60,
        required=False,
        help_text=_("Su nombre o su código: México, España, AR..."),
    )
    time_zone = forms.CharField(
        label=_("Zona horaria"),
        max_length=64,
        required=False,
        help_text=_("Tu ciudad o la zona: Madrid, Ciudad de México, America/Bogota..."),
    )
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    language = forms.ChoiceField(label=_("Idioma"), choices=Language.choices, required=False)
    consent = forms.BooleanField(label=_("Acepto recibir comunicaciones del curso"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", "---")] + [
            (plan.slug, plan.name) for plan in Plan.objects.filter(active=True)
        ]

    @classmethod
    def initial_for(cls, data):
        """What the form shows first: every answer as the registration gave it, with the
        valid ones in the form's own terms (the plan's slug, the country's code), so a
        valid answer stays chosen whatever spelling it came in."""
        data = data if isinstance(data, dict) else {}
        values = clean_registration(data).values
        initial = {name: data[name] for name in cls.base_fields if name in data}
        for name in ("plan", "language", "country", "time_zone"):
            if name in values and (name != "time_zone" or data.get("time_zone")):
                value = values[name]
                initial[name] = value.slug if name == "plan" else value
        if "consent" in values:
            initial["consent"] = values["consent"]
        return {name: value for name, value in initial.items() if value not in (None, [])}

    def submitted(self):
        """What was typed, field by field, without any form-level refusal."""
        return {name: self[name].data for name in self.fields}

    def with_errors(self, errors):
        """[(bound field, messages)] with the service's errors next to their fields."""
        errors = errors or {}
        for name, field in self.fields.items():
            described = [f"id_{name}_help"] if field.help_text else []
            if errors.get(name):
                field.widget.attrs["aria-invalid"] = "true"
                described.append(f"id_{name}_error")
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)
        return [(self[name], errors.get(name, [])) for name in self.fields]
