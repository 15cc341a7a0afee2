"""Newsletters and sequence emails written in Markdown, previewed as sent.

Staff write Markdown (HTML inside it passes); saving renders the HTML that is reviewed and
sent. The preview endpoint renders the same email template the send uses, with a sample
first name, and `email_preview.js` shows it in two sandboxed iframes (desktop and mobile
widths) as staff type: a script file, no inline script, so the admin's CSP holds.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import reverse_lazy
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminTextareaWidget

from courseops.messaging.services.rendering import render_email
from courseops.reviews.sanitize import email_text, markdown_email_html
from marketing.models import Step, Variant

SAMPLE_FIRST_NAME = "Ana"
MARKDOWN_HELP = _(
    "Markdown: **negrita**, *cursiva*, [texto del enlace](https://…), listas con «- ». "
    "{nombre}: el nombre de pila. La vista previa muestra el correo tal como se envía."
)


def markdown_field(preview_url_name, *, required=True):
    return forms.CharField(
        label=_("Texto (Markdown)"),
        required=required,
        help_text=MARKDOWN_HELP,
        widget=UnfoldAdminTextareaWidget(
            attrs={"rows": 12, "data-preview-url": reverse_lazy(preview_url_name)}
        ),
    )


def preview_response(request, *, template, permission, first_name=SAMPLE_FIRST_NAME):
    """The email as sent for the Markdown in the POST: {"html": ...}."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    body = markdown_email_html(request.POST.get("markdown", ""))
    body = body.replace("{nombre}", escape(first_name)).replace("{personal}", "")
    subject = request.POST.get("subject", "").replace("{nombre}", first_name)
    _subject, html, _text = render_email(
        template=template,
        context={
            "subject": subject,
            "preheader": request.POST.get("preheader", ""),
            "body_html": body,
            "body_text": email_text(body),
            "preferences_url": "#",
            "open_pixel_url": "",
        },
    )
    return JsonResponse({"html": html})


class VariantForm(forms.ModelForm):
    body_markdown = markdown_field("admin:marketing_campaign_email_preview")

    class Meta:
        model = Variant
        fields = ("label", "subject", "body_markdown")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A variant the AI drafted has HTML only: it is valid Markdown as it stands.
        if self.instance.pk and not self.instance.body_markdown:
            self.initial["body_markdown"] = self.instance.body_html

    def clean(self):
        data = super().clean()
        self.instance.body_html = markdown_email_html(data.get("body_markdown", ""))
        return data


class StepForm(forms.ModelForm):
    body_markdown = markdown_field("admin:marketing_sequence_email_preview", required=False)

    class Meta:
        model = Step
        fields = (
            "position",
            "kind",
            "wait_days",
            "subject",
            "body_markdown",
            "condition",
            "jump_to",
            "offer",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body_markdown"].label = _("Texto (Markdown en correos)")
        if self.instance.pk and not self.instance.body_markdown:
            self.initial["body_markdown"] = self.instance.body

    def clean(self):
        data = super().clean()
        text = data.get("body_markdown", "")
        # An SMS is sent as written; an email is rendered from its Markdown.
        email = data.get("kind") == Step.Kind.EMAIL
        self.instance.body = markdown_email_html(text) if email else text
        return data
