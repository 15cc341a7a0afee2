"""Landing pages: edit, preview link, A/B results per headline, AI copy drafts."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.core.tables import table
from marketing.landing.copy import draft_copy
from marketing.landing.models import LandingPage
from marketing.landing.reports import variant_results


@admin.register(LandingPage)
class LandingPageAdmin(ModelAdmin):
    list_display = ("slug", "title", "language", "published", "link", "updated_at")
    list_filter = ("published", "language")
    search_fields = ("slug", "title", "headline")
    list_select_related = ("form",)
    autocomplete_fields = ("webinar",)
    readonly_fields = ("results",)
    actions = ("ask_ai_for_copy",)
    fieldsets = (
        (None, {"fields": ("slug", "language", "published", "form", "plan", "webinar", "offer")}),
        (
            _("Texto"),
            {
                "fields": (
                    "title",
                    "description",
                    "image_url",
                    "headline",
                    "headline_variants",
                    "body",
                    "cta_label",
                    "fields",
                    "thank_you",
                    "topic",
                )
            },
        ),
        (_("Resultados por titular"), {"fields": ("results",)}),
    )

    @admin.display(description=_("enlace"))
    def link(self, obj):
        url = reverse("landing:page", args=[obj.slug])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=_("resultados"))
    def results(self, obj):
        if obj.pk is None:
            return "-"
        return table(
            [_("variante"), _("titular"), _("visitas"), _("altas"), _("conversión")],
            (
                (
                    chr(ord("A") + row["variant"]),
                    row["headline"],
                    row["views"],
                    row["signups"],
                    "-" if row["rate"] is None else f"{row['rate']} %",
                )
                for row in variant_results(obj)
            ),
            numeric=(2, 3, 4),
        )

    @admin.action(
        description=_("Redactar el texto con IA (queda en revisión)"), permissions=["change"]
    )
    def ask_ai_for_copy(self, request, queryset):
        for page in queryset.select_related("plan", "webinar"):
            draft_copy(page=page, topic=page.topic or page.title, user=request.user)
        self.message_user(
            request, _("%(n)d borradores de IA para revisar.") % {"n": queryset.count()}
        )
