"""Campaign pages: variants with their approval, actions that call the services, and the
results per variant with bar charts (one aggregate query)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin, StackedInline

from courseops.core.tables import table
from courseops.reviews.email_editor import preview_response
from marketing.admin.email_editor import VariantForm
from marketing.models import Campaign, Variant
from marketing.offers.models import OfferRedemption
from marketing.senders import SenderChoiceForm
from marketing.services.campaigns import schedule_campaign, set_paused
from marketing.services.content import (
    draft_variant_with_ai,
    submit_variant,
    upcoming_public_webinars,
)
from marketing.services.reports import campaign_results

COLUMNS = (
    ("queued", _("en cola")),
    ("sent", _("enviados")),
    ("delivered", _("entregados")),
    ("bounced", _("rebotes")),
    ("clicks", _("clics únicos")),
    ("unsubscribed", _("bajas")),
    ("complained", _("quejas")),
    ("conversions", _("conversiones")),
    ("revenue", _("ingresos")),
)


class VariantInline(StackedInline):
    model = Variant
    form = VariantForm
    extra = 0
    max_num = 4
    fields = ("label", "subject", "body_markdown", "approved_subject", "approved_at")
    readonly_fields = ("approved_subject", "approved_at")


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    form = SenderChoiceForm

    class Media:
        js = ("reviews/email_preview.js",)

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.email_preview))
        return [
            path("email-preview/", view, name="marketing_campaign_email_preview"),
            *super().get_urls(),
        ]

    def email_preview(self, request):
        """The email as sent for the Markdown being typed (same permission as editing)."""
        return preview_response(
            request, template="marketing/campaign", permission="marketing.change_campaign"
        )

    list_display = (
        "name",
        "status",
        "phase",
        "winner",
        "recipients_count",
        "offer",
        "offer_uses",
        "started_at",
    )
    list_filter = ("status",)
    search_fields = ("name",)
    list_select_related = ("winner", "offer")
    show_full_result_count = False
    inlines = (VariantInline,)
    filter_horizontal = ("segments",)
    readonly_fields = (
        "status",
        "phase",
        "effective_share",
        "test_ends_at",
        "winner",
        "winner_note",
        "started_at",
        "finished_at",
        "results",
    )
    fieldsets = (
        (
            None,
            {"fields": ("name", "sender", "segments", "preheader", "topics", "offer", "status")},
        ),
        (_("Programación"), {"fields": ("schedule", "send_at", "local_time", "batch_size")}),
        (
            _("Prueba A/B"),
            {"fields": ("test_share", "test_wait_hours", "min_sample", "winner_metric")},
        ),
        (
            _("Resultados"),
            {
                "fields": (
                    "phase",
                    "effective_share",
                    "test_ends_at",
                    "winner",
                    "winner_note",
                    "started_at",
                    "finished_at",
                    "results",
                )
            },
        ),
    )
    actions = ("submit_for_review", "draft_with_ai", "schedule", "pause", "resume")

    def get_queryset(self, request):
        # A subquery, so the redemptions do not multiply the recipients' join.
        uses = (
            OfferRedemption.objects.filter(campaign=OuterRef("pk"))
            .order_by()
            .values("campaign")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(recipient_total=Count("recipients"), offer_use_total=Subquery(uses))
        )

    @admin.display(description=_("usos de la oferta"), ordering="offer_use_total")
    def offer_uses(self, obj):
        return obj.offer_use_total or 0

    @admin.display(description=_("destinatarios"), ordering="recipient_total")
    def recipients_count(self, obj):
        return obj.recipient_total

    @admin.display(description=_("resultados por variante"))
    def results(self, obj):
        rows = campaign_results(obj) if obj.pk else []
        if not rows:
            return "—"
        return table(
            [_("variante"), *(label for _k, label in COLUMNS), _("tasa de clic")],
            (
                (
                    row["label"],
                    *(row[key] for key, _l in COLUMNS),
                    format_html(
                        '<span style="display:inline-block;height:10px;width:{}px;'
                        'background:#2563eb" aria-hidden="true"></span> {} %',
                        int(row["click_rate"] * 4),
                        row["click_rate"],
                    ),
                )
                for row in rows
            ),
            numeric=tuple(range(1, len(COLUMNS) + 1)),
        )

    @admin.action(description=_("Enviar las variantes a revisión"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        drafts = [
            submit_variant(variant=variant)
            for variant in Variant.objects.filter(campaign__in=queryset)
        ]
        self.message_user(
            request, _("%(n)d borradores en la cola de revisión.") % {"n": len(drafts)}
        )

    @admin.action(
        description=_("Redactar las variantes con IA (temas y próximos webinars)"),
        permissions=["change"],
    )
    def draft_with_ai(self, request, queryset):
        webinars = upcoming_public_webinars()
        count = 0
        for campaign in queryset:
            topics = [t.strip() for t in campaign.topics.split(",") if t.strip()] or [campaign.name]
            for variant in campaign.variants.all():
                draft_variant_with_ai(
                    variant=variant, topics=topics, webinars=webinars, user=request.user
                )
                count += 1
        self.message_user(request, _("%(n)d borradores de IA para revisar.") % {"n": count})

    @admin.action(description=_("Programar (requiere variantes aprobadas)"), permissions=["change"])
    def schedule(self, request, queryset):
        for campaign in queryset:
            try:
                schedule_campaign(campaign=campaign, user=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{campaign}: {' '.join(exc.messages)}", messages.ERROR)

    @admin.action(description=_("Pausar el envío"), permissions=["change"])
    def pause(self, request, queryset):
        for campaign in queryset:
            set_paused(campaign=campaign, paused=True, user=request.user)

    @admin.action(description=_("Reanudar el envío"), permissions=["change"])
    def resume(self, request, queryset):
        for campaign in queryset:
            set_paused(campaign=campaign, paused=False, user=request.user)
