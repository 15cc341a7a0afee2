"""The small form a person uses to fix their own registration (the emailed link)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from students.models import Language, Plan


class CorrectionForm(forms.Form):
    """Plain fields only: validation is `clean_registration`'s, shared by every door."""

    full_name = forms.CharField(label=_("Nombre completo"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(
        label=_("Teléfono"), max_length=40, required=False, help_text=_("Con prefijo: +52 55 ...")
    )
    country = forms.CharField(
        label=_("País"),
        max_length=2,
        required=False,
        help_text=_("Código de dos letras: MX, ES, AR..."),
    )
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    language = forms.ChoiceField(label=_("Idioma"), choices=Language.choices, required=False)
    consent = forms.BooleanField(label=_("Acepto recibir comunicaciones del curso"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", "---")] + [
            (plan.slug, plan.name) for plan in Plan.objects.filter(active=True)
        ]

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
