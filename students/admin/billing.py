"""Billing admin: the subscription mirror, and the Checkout / Customer Portal link actions.

Links (Checkout, Customer Portal) are created when staff ask and shown once in a message:
Stripe's URLs expire, so none is stored.
"""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from students.billing.client import BillingError
from students.billing.services import (
    create_checkout_session,
    create_portal_session,
    sync_subscription,
)
from students.models import Subscription


def _show_links(modeladmin, request, queryset, *, make_link, label):
    for obj in queryset:
        try:
            url = make_link(obj)
        except BillingError as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
        else:
            message = format_html('{} — {}: <a href="{}">{}</a>', obj, label, url, url)
            modeladmin.message_user(request, message, messages.SUCCESS)


@admin.action(description=_("Crear enlace de pago (Stripe Checkout)"), permissions=["change"])
def payment_link(modeladmin, request, queryset):
    """For the Plan admin (registered in `students/admin/students.py`): add it to its
    `actions`."""
    _show_links(
        modeladmin,
        request,
        queryset,
        make_link=lambda plan: create_checkout_session(plan=plan),
        label=_("enlace de pago"),
    )


@admin.register(Subscription)
class SubscriptionAdmin(ModelAdmin):
    list_display = (
        "stripe_subscription_id",
        "student",
        "plan",
        "status",
        "started_at",
        "ended_at",
        "current_period_end",
        "cancel_at_period_end",
        "stripe_updated_at",
    )
    list_filter = ("status", "plan", "cancel_at_period_end")
    search_fields = ("stripe_subscription_id", "student__email", "student__full_name")
    list_select_related = ("student", "plan")
    show_full_result_count = False
    raw_id_fields = ("student",)
    readonly_fields = (
        "stripe_subscription_id",
        "status",
        "started_at",
        "ended_at",
        "current_period_end",
        "cancel_at_period_end",
        "stripe_updated_at",
        "created_at",
        "updated_at",
    )
    actions = ["portal_link", "resync"]

    def has_add_permission(self, request):
        return False  # a mirror: subscriptions are created in Stripe (Checkout)

    @admin.action(
        description=_("Crear enlace al portal de cliente de Stripe"), permissions=["change"]
    )
    def portal_link(self, request, queryset):
        _show_links(
            self,
            request,
            queryset.select_related("student"),
            make_link=lambda subscription: create_portal_session(student=subscription.student),
            label=_("portal de cliente"),
        )

    @admin.action(description=_("Volver a leer de Stripe"), permissions=["change"])
    def resync(self, request, queryset):
        synced = 0
        for subscription in queryset:
            try:
                sync_subscription(subscription_id=subscription.stripe_subscription_id)
            except BillingError as exc:
                self.message_user(request, f"{subscription}: {exc}", messages.ERROR)
            else:
                synced += 1
        self.message_user(
            request, _("%(n)d suscripciones actualizadas.") % {"n": synced}, messages.SUCCESS
        )
