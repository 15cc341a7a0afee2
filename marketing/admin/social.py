"""Social channels (slots, provider, token expiry) and their posts (schedule, status, the
network's id), with an action to schedule a text at the next free slot."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from marketing.social.models import SocialChannel, SocialPost


@admin.register(SocialChannel)
class SocialChannelAdmin(ModelAdmin):
    list_display = ("name", "network", "provider", "token_expires_at", "active")
    list_filter = ("network", "provider", "active")
    fields = (
        "name",
        "network",
        "provider",
        "account",
        "access_token",
        "token_expires_at",
        "slots",
        "active",
    )


@admin.register(SocialPost)
class SocialPostAdmin(ModelAdmin):
    list_display = ("channel", "scheduled_at", "status", "external_id", "published_at", "attempts")
    list_filter = ("status", "channel__network")
    list_select_related = ("channel",)
    search_fields = ("text", "external_id")
    date_hierarchy = "scheduled_at"
    show_full_result_count = False
    readonly_fields = (
        "status",
        "draft",
        "attempts",
        "claimed_at",
        "published_at",
        "external_id",
        "last_error",
    )
    fields = ("channel", "text", "scheduled_at", *readonly_fields)
    actions = ("back_to_schedule",)

    def has_change_permission(self, request, obj=None):
        # Text and time can change only until the post goes out.
        return obj is None or obj.status == SocialPost.Status.SCHEDULED

    @admin.action(description=_("Marcar como fallida para reprogramar (tras comprobar la red)"))
    def back_to_schedule(self, request, queryset):
        count = queryset.filter(status=SocialPost.Status.UNKNOWN).update(
            status=SocialPost.Status.FAILED
        )
        self.message_user(request, _("%(n)d publicaciones marcadas como fallidas.") % {"n": count})
