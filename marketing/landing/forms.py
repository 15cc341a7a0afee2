from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.analytics.services import configured as analytics_configured
from marketing.services.consent import ANALYTICS_TEXT
from students.intake.validation import UTM_FIELDS


class LandingForm(forms.Form):
    """The page's form: email always, the page's optional fields, the consent checkbox with
    its form's exact text, a honeypot, and the visit's variant, UTM and referrer."""

    name = forms.CharField(label=_("Nombre"), max_length=200)
    email = forms.EmailField(label=_("Correo electrónico"))
    phone = forms.CharField(
        label=_("Teléfono móvil"),
        max_length=20,
        required=False,
        help_text=_("Con prefijo internacional, p. ej. +5215512345678."),
    )
    consent = forms.BooleanField(required=False)
    analytics_consent = forms.BooleanField(required=False, label=ANALYTICS_TEXT)
    # Honeypot: hidden from people, filled by bots.
    website = forms.CharField(required=False, label=_("No rellenar"))
    variant = forms.IntegerField(required=False, min_value=0, max_value=20)
    referrer = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, page, **kwargs):
        super().__init__(*args, **kwargs)
        for name in UTM_FIELDS:
            self.fields[name] = forms.CharField(required=False, max_length=100)
        if "name" not in page.fields:
            del self.fields["name"]
        if "phone" not in page.fields:
            del self.fields["phone"]
        self.fields["consent"].label = page.form.newsletter_text
        if not analytics_configured():  # nothing is measured: nothing to ask
            del self.fields["analytics_consent"]

    def visible(self):
        return [self[name] for name in ("name", "email", "phone") if name in self.fields]

    def hidden(self):
        return [self[name] for name in ("variant", "referrer", *UTM_FIELDS)]
