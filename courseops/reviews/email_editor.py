"""Emails written in Markdown and previewed as sent: newsletters and sequence emails
(marketing) and the review queue's email drafts.

Staff write Markdown (HTML inside it passes); saving renders the HTML that is reviewed and
sent. A preview endpoint renders the email exactly as it leaves, with a sample first name,
and `reviews/email_preview.js` shows it in two sandboxed iframes (desktop and mobile
widths) as staff type: a script file, no inline script, so the admin's CSP holds.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import reverse_lazy
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from markdownify import markdownify
from unfold.widgets import UnfoldAdminTextareaWidget

from courseops.messaging.services.rendering import inline_css, render_email
from courseops.reviews.sanitize import clean_email_html, email_text, markdown_email_html

SAMPLE_FIRST_NAME = "Ana"
MARKDOWN_HELP = _(
    "Markdown: **negrita**, *cursiva*, [texto del enlace](https://…), listas con «- ». "
    "{nombre}: el nombre de pila. La vista previa muestra el correo tal como se envía."
)


def markdown_field(preview_url_name, *, required=True, help_text=MARKDOWN_HELP):
    return forms.CharField(
        label=_("Texto (Markdown)"),
        required=required,
        help_text=help_text,
        widget=UnfoldAdminTextareaWidget(
            attrs={"rows": 12, "data-preview-url": reverse_lazy(preview_url_name)}
        ),
    )


def html_to_markdown(html):
    """An email the AI wrote as HTML, as Markdown to edit (what Markdown cannot say, such as
    a styled block, stays as HTML inside it, which Markdown lets through)."""
    text = markdownify(html or "", heading_style="ATX", bullets="-", escape_underscores=False)
    # markdownify keeps the blank lines between blocks of the source: one is enough.
    lines, blank = [], False
    for line in text.strip().splitlines():
        if line.strip() or not blank:
            lines.append(line.rstrip())
        blank = not line.strip()
    return "\n".join(lines)


def preview_response(request, *, template, permission, first_name=SAMPLE_FIRST_NAME):
    """The email as sent for the Markdown in the POST, inside the project's email
    `template`: {"html": ...}."""
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


def bare_preview_response(request):
    """The email as sent for the Markdown in the POST when the HTML is the whole email (a
    review-queue draft: `EmailReviewKind.apply` queues the cleaned HTML as it is). The
    caller checks who may ask."""
    html = clean_email_html(markdown_email_html(request.POST.get("markdown", "")))
    return JsonResponse({"html": inline_css(html)})
