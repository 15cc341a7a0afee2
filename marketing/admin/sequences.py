"""Sequence pages: steps (each template reviewed before use) and contacts per step."""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin, TabularInline

from courseops.core.tables import table
from courseops.reviews.email_editor import preview_response
from marketing.admin.email_editor import StepForm
from marketing.models import Enrolment, Sequence, Step
from marketing.senders import SenderChoiceForm
from marketing.services.sequences import submit_step


class StepInline(TabularInline):
    model = Step
    form = StepForm
    extra = 0
    fields = (
        "position",
        "kind",
        "wait_days",
        "subject",
        "body_markdown",
        "condition",
        "jump_to",
        "offer",
        "approved_subject",
    )
    readonly_fields = ("approved_subject",)


@admin.register(Sequence)
class SequenceAdmin(ModelAdmin):
    form = SenderChoiceForm

    class Media:
        js = ("reviews/email_preview.js",)

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.email_preview))
        return [
            path("email-preview/", view, name="marketing_sequence_email_preview"),
            *super().get_urls(),
        ]

    def email_preview(self, request):
        """The email as sent for the Markdown being typed (same permission as editing)."""
        return preview_response(
            request, template="marketing/sequence", permission="marketing.change_sequence"
        )

    list_display = ("name", "trigger", "trigger_form", "active", "in_progress")
    list_filter = ("trigger", "active")
    list_select_related = ("trigger_form",)
    inlines = (StepInline,)
    readonly_fields = ("per_step",)
    fields = ("name", "trigger", "trigger_form", "sender", "active", "per_step")
    actions = ("submit_steps",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_count=Count(
                    "enrolments", filter=Q(enrolments__status=Enrolment.Status.ACTIVE)
                )
            )
        )

    @admin.display(description=_("en curso"), ordering="active_count")
    def in_progress(self, obj):
        return obj.active_count

    @admin.display(description=_("contactos por paso"))
    def per_step(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        rows = (
            obj.enrolments.values("status", "done_position")
            .annotate(n=Count("pk"))
            .order_by("done_position", "status")
        )
        return table(
            [_("último paso hecho"), _("estado"), _("contactos")],
            (
                (
                    row["done_position"] if row["done_position"] >= 0 else "—",
                    Enrolment.Status(row["status"]).label,
                    row["n"],
                )
                for row in rows
            ),
            numeric=(2,),
        )

    @admin.action(description=_("Enviar los pasos con texto a revisión"), permissions=["change"])
    def submit_steps(self, request, queryset):
        steps = Step.objects.filter(sequence__in=queryset, kind__in=("email", "sms"))
        count = sum(1 for step in steps if submit_step(step=step))
        self.message_user(request, _("%(n)d plantillas en la cola de revisión.") % {"n": count})
