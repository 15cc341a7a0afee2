"""Social channels (slots, provider, token expiry) and their posts (schedule, status, the
network's id), with an action to schedule a text at the next free slot."""

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from marketing.social.drafts import draft_from_brief
from marketing.social.lessons import draft_from_lesson
from marketing.social.links import track_links
from marketing.social.models import LessonForSocial, SocialBrief, SocialChannel, SocialPost
from marketing.social.reports import best_slots, posts_with_clicks
from marketing.social.schedule import reschedule_post
from marketing.social.tokens import TokenCheckError, refresh_token_expiry

WEEKDAYS = (
    _("lunes"),
    _("martes"),
    _("miércoles"),
    _("jueves"),
    _("viernes"),
    _("sábado"),
    _("domingo"),
)


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
        "suggested_slots",
    )
    readonly_fields = ("suggested_slots",)
    actions = ("check_token",)

    @admin.action(
        description=_("Comprobar en Meta cuándo caduca el token (Facebook)"),
        permissions=["change"],
    )
    def check_token(self, request, queryset):
        for channel in queryset.filter(provider=SocialChannel.Provider.FACEBOOK):
            try:
                expires_at = refresh_token_expiry(channel=channel)
            except TokenCheckError as exc:
                self.message_user(request, f"{channel}: {exc}", messages.ERROR)
                continue
            if expires_at is None:
                text = _("%(channel)s: el token no caduca.") % {"channel": channel}
            else:
                text = _("%(channel)s: el token caduca el %(when)s.") % {
                    "channel": channel,
                    "when": expires_at.date().isoformat(),
                }
            self.message_user(request, text)

    @admin.display(description=_("mejores horarios (clics por publicación, 90 días)"))
    def suggested_slots(self, obj):
        rows = best_slots(network=obj.network) if obj.pk else []
        if not rows:
            return _("Aún no hay datos suficientes (2 publicaciones por horario).")
        return format_html_join(
            "",
            "<div>{} {}:00 · {} ({} publicaciones)</div>",
            (
                (WEEKDAYS[r["weekday"] - 1], f"{r['hour']:02d}", r["clicks_per_post"], r["posts"])
                for r in rows
            ),
        )


@admin.register(SocialPost)
class SocialPostAdmin(ModelAdmin):
    list_display = (
        "channel",
        "scheduled_at",
        "status",
        "external_id",
        "published_at",
        "attempts",
        "clicks",
    )
    list_filter = ("status", "channel__network")
    list_select_related = ("channel",)
    search_fields = ("text", "external_id")
    date_hierarchy = "scheduled_at"
    show_full_result_count = False
    readonly_fields = (
        "status",
        "draft",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "held_by",
        "provider_called_at",
        "published_at",
        "external_id",
        "last_error",
    )
    fields = ("channel", "text", "scheduled_at", *readonly_fields)
    actions = ("back_to_schedule", "reschedule")

    def get_queryset(self, request):
        return posts_with_clicks(super().get_queryset(request))

    @admin.display(description=_("clics"), ordering="human_clicks")
    def clicks(self, obj):
        return obj.human_clicks

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        track_links(obj)  # links typed or edited by staff are tracked too

    def has_change_permission(self, request, obj=None):
        # Text and time can change only until the post goes out, and only by those who
        # may change posts at all (a view-only role must not reschedule one).
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or obj.status in (SocialPost.Status.SCHEDULED, SocialPost.Status.FAILED)

    @admin.action(
        description=_("Reprogramar las fallidas en el siguiente hueco libre"),
        permissions=["change"],
    )
    def reschedule(self, request, queryset):
        done = [
            post
            for post in queryset.select_related("channel")
            if reschedule_post(post=post, user=request.user)
        ]
        self.message_user(request, _("%(n)d publicaciones reprogramadas.") % {"n": len(done)})

    @admin.action(
        description=_("Marcar como fallida para reprogramar (tras comprobar la red)"),
        permissions=["change"],
    )
    def back_to_schedule(self, request, queryset):
        count = queryset.filter(status=SocialPost.Status.UNKNOWN).update(
            status=SocialPost.Status.FAILED
        )
        self.message_user(request, _("%(n)d publicaciones marcadas como fallidas.") % {"n": count})


@admin.register(SocialBrief)
class SocialBriefAdmin(ModelAdmin):
    list_display = ("topic", "language", "lesson", "link", "created_at")
    list_select_related = ("lesson__course",)
    search_fields = ("topic",)
    actions = ("draft_posts",)

    @admin.action(
        description=_("Redactar publicaciones con IA (2 variantes por red, a revisión)"),
        permissions=["change"],
    )
    def draft_posts(self, request, queryset):
        for brief in queryset:
            draft_from_brief(brief=brief, user=request.user)
        self.message_user(
            request, _("%(n)d borradores de IA para revisar.") % {"n": queryset.count()}
        )


@admin.register(LessonForSocial)
class LessonForSocialAdmin(ModelAdmin):
    """Published lessons, read only, with the action that drafts their social posts."""

    list_display = ("title", "course", "published_at", "social_brief")
    list_select_related = ("course",)
    list_filter = ("course",)
    search_fields = ("title", "course__title")
    show_full_result_count = False
    actions = ("draft_social_posts",)

    def get_queryset(self, request):
        brief = SocialBrief.objects.filter(lesson=OuterRef("pk")).values("topic")[:1]
        return (
            super()
            .get_queryset(request)
            .filter(published_at__isnull=False)
            .annotate(brief_topic=Subquery(brief))
        )

    @admin.display(description=_("borradores de redes"))
    def social_brief(self, obj):
        return _("Creados") if obj.brief_topic is not None else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_draft_permission(self, request):
        # Lessons are read-only here; what the action makes is a topic for social posts.
        return request.user.has_perm("marketing.add_socialbrief")

    @admin.action(
        description=_("Crear borradores de redes desde la lección"),
        permissions=["draft"],
    )
    def draft_social_posts(self, request, queryset):
        drafts = [
            draft_from_lesson(lesson=lesson, user=request.user)
            for lesson in queryset.select_related("course")
        ]
        count = len([d for d in drafts if d is not None])
        self.message_user(
            request,
            ngettext(
                "%(n)d lección con sus borradores de redes en revisión.",
                "%(n)d lecciones con sus borradores de redes en revisión.",
                count,
            )
            % {"n": count},
        )
