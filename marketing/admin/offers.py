"""Offers: discount and code, AI text through review, the Stripe ids once approved, and
redemptions (read from Stripe's events)."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from marketing.offers.models import Offer, OfferRedemption
from marketing.offers.services import draft_offer, withdraw_offer


@admin.register(Offer)
class OfferAdmin(ModelAdmin):
    list_display = ("name", "code", "segment", "status", "redemptions", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "code")
    list_select_related = ("segment",)
    readonly_fields = (
        "status",
        "headline",
        "text",
        "stripe_coupon_id",
        "stripe_promotion_code_id",
    )
    actions = ("ask_ai_for_text", "withdraw")

    def get_readonly_fields(self, request, obj=None):
        # Once in Stripe, the discount and code are Stripe's: make a new offer to change them.
        if obj is not None and obj.stripe_coupon_id:
            return (
                *self.readonly_fields,
                "percent_off",
                "amount_off",
                "currency",
                "duration",
                "duration_in_months",
                "code",
                "max_redemptions",
                "expires_at",
            )
        return self.readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(redemption_count=Count("redemptions"))

    @admin.display(description=_("usos"), ordering="redemption_count")
    def redemptions(self, obj):
        return obj.redemption_count

    @admin.action(
        description=_("Redactar el texto con IA (queda en revisión)"),
        permissions=["change"],
    )
    def ask_ai_for_text(self, request, queryset):
        for offer in queryset.select_related("segment"):
            draft_offer(offer=offer, user=request.user)
        self.message_user(
            request, _("%(n)d borradores de IA para revisar.") % {"n": queryset.count()}
        )

    @admin.action(
        description=_("Retirar la oferta (deja de aplicarse; desactiva el código)"),
        permissions=["change"],
    )
    def withdraw(self, request, queryset):
        for offer in queryset:  # again on an ended one: Stripe is told again
            error = withdraw_offer(offer=offer, user=request.user)
            if error:
                self.message_user(
                    request,
                    _("%(offer)s: retirada aquí, pero Stripe no desactivó el código (%(error)s). "
                      "Vuelve a intentarlo.") % {"offer": offer, "error": error},
                    messages.WARNING,
                )  # fmt: skip
            else:
                self.message_user(request, _("%(offer)s: retirada.") % {"offer": offer})


@admin.register(OfferRedemption)
class OfferRedemptionAdmin(ModelAdmin):
    list_display = (
        "offer",
        "email",
        "campaign",
        "sequence_step",
        "landing_page",
        "amount_discount",
        "currency",
        "at",
    )
    list_select_related = ("offer", "campaign", "step__sequence", "landing_page")
    list_filter = ("offer", "campaign", "landing_page")
    search_fields = ("email",)
    show_full_result_count = False

    @admin.display(description=_("paso de secuencia"))
    def sequence_step(self, obj):
        return f"{obj.step.sequence.name} · {obj.step}" if obj.step else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
