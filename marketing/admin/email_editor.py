"""Newsletters and sequence emails written in Markdown, previewed as sent (the editor and
its preview are the review queue's, `courseops.reviews.email_editor`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courseops.reviews.email_editor import markdown_field
from courseops.reviews.sanitize import markdown_email_html
from marketing.models import Step, Variant


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
