"""Landing pages at `/l/<slug>/`: copy with headline variants (A/B), a form whose consent
text and double opt-in are its lead form's, and what the page promotes (a plan leads to
Stripe Checkout, a webinar to its registration). Human views and sign-ups are counted per
headline variant for the A/B results and the funnel."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Lead, LeadForm
from students.models import Language, Plan
from webinars.models import Webinar

# The fields a page may ask for besides the email (always asked).
OPTIONAL_FIELDS = ("name", "phone")


class LandingPage(models.Model):
    slug = models.SlugField(
        _("identificador"), unique=True, help_text=_("La página es /l/<identificador>/.")
    )
    language = models.CharField(
        _("idioma"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    title = models.CharField(_("título (buscadores y redes)"), max_length=70)
    description = models.CharField(_("descripción (buscadores y redes)"), max_length=160)
    image_url = models.URLField(_("imagen para redes (URL)"), blank=True)
    headline = models.CharField(_("titular"), max_length=200)
    headline_variants = models.JSONField(
        _("titulares alternativos (A/B)"),
        default=list,
        blank=True,
        help_text=_("Lista de titulares; cada visitante ve siempre el mismo."),
    )
    body = models.TextField(
        _("cuerpo"),
        blank=True,
        help_text=_("Bloques separados por una línea en blanco; «## » al inicio: subtítulo."),
    )
    cta_label = models.CharField(_("botón"), max_length=80, default=_("Quiero apuntarme"))
    fields = models.JSONField(
        _("campos además del email"),
        default=list,
        blank=True,
        help_text=_("Cualquiera de: name, phone."),
    )
    form = models.ForeignKey(
        LeadForm,
        verbose_name=_("formulario de captación"),
        on_delete=models.PROTECT,
        related_name="landing_pages",
        help_text=_("Da el texto del consentimiento, la doble confirmación y las etiquetas."),
    )
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan que promociona"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    webinar = models.ForeignKey(
        Webinar,
        verbose_name=_("webinar que promociona"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    topic = models.CharField(_("tema (para el borrador de IA)"), max_length=200, blank=True)
    offer = models.ForeignKey(
        "marketing.Offer",
        verbose_name=_("oferta"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="landing_pages",
        limit_choices_to={"status": "active"},
        help_text=_("Su texto aprobado y su código se muestran en la página."),
    )
    thank_you = models.TextField(_("texto de agradecimiento"), blank=True)
    published = models.BooleanField(_("publicada"), default=False)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("landing page")
        verbose_name_plural = _("landing pages")
        ordering = ["-created_at"]

    def __str__(self):
        return self.slug

    def headlines(self):
        """Variant 0 is `headline`, then the alternatives in order."""
        return [self.headline, *[str(h) for h in self.headline_variants if str(h).strip()]]

    def blocks(self):
        """The body as [{"heading", "text"}] blocks."""
        blocks = []
        for chunk in self.body.replace("\r\n", "\n").split("\n\n"):
            lines = chunk.strip().splitlines()
            if not lines:
                continue
            heading = lines[0][3:].strip() if lines[0].startswith("## ") else ""
            text = "\n".join(lines[1:] if heading else lines).strip()
            blocks.append({"heading": heading, "text": text})
        return blocks


class LandingView(models.Model):
    """One human view (bots, scanners and HEAD requests are not stored)."""

    page = models.ForeignKey(
        LandingPage, on_delete=models.CASCADE, related_name="views", verbose_name=_("página")
    )
    variant = models.PositiveSmallIntegerField(default=0, verbose_name=_("variante"))
    utm_source = models.CharField(max_length=100, blank=True, verbose_name=_("origen (utm_source)"))
    utm_campaign = models.CharField(
        max_length=100, blank=True, verbose_name=_("campaña (utm_campaign)")
    )
    at = models.DateTimeField(db_index=True, verbose_name=_("cuándo"))

    class Meta:
        verbose_name = _("visita a la página")
        verbose_name_plural = _("visitas a la página")
        indexes = [models.Index(fields=["page", "at"], name="marketing_landingview_page")]

    def __str__(self):
        return f"{self.page_id} {self.variant} {self.at:%Y-%m-%d %H:%M}"


class LandingSignup(models.Model):
    """A contact who sent a page's form (once per page and contact: the first one counts)."""

    page = models.ForeignKey(
        LandingPage, on_delete=models.CASCADE, related_name="signups", verbose_name=_("página")
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="landing_signups", verbose_name=_("contacto")
    )
    variant = models.PositiveSmallIntegerField(default=0, verbose_name=_("variante"))
    utm = models.JSONField(default=dict, blank=True, verbose_name=_("parámetros UTM"))
    referrer = models.CharField(max_length=300, blank=True, verbose_name=_("página de origen"))
    at = models.DateTimeField(verbose_name=_("cuándo"))

    class Meta:
        verbose_name = _("alta desde landing")
        verbose_name_plural = _("altas desde landing")
        constraints = [
            models.UniqueConstraint(fields=["page", "lead"], name="marketing_landing_signup_once")
        ]

    def __str__(self):
        return f"{self.page_id} {self.lead_id}"
