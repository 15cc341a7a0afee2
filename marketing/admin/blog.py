"""The lessons' posts on the WordPress blog: where each one is and why one failed, with an
action to send a lesson's approved summary again (it updates the same post)."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from marketing.blog.models import BlogPost


@admin.register(BlogPost)
class BlogPostAdmin(ModelAdmin):
    list_display = ("lesson", "state", "wordpress_id", "link", "synced_at", "last_error")
    list_filter = ("state",)
    list_select_related = ("lesson__course",)
    search_fields = ("lesson__title",)
    readonly_fields = (
        "lesson",
        "state",
        "wordpress_id",
        "link",
        "synced_draft",
        "attempts",
        "last_error",
        "synced_at",
    )
    fields = readonly_fields
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Enviar de nuevo al blog"), permissions=["change"])
    def send_again(self, request, queryset):
        from marketing.blog.wordpress import post_owed
        from marketing.tasks import sync_blog_post

        lesson_ids = list(queryset.values_list("lesson_id", flat=True))
        post_owed(lesson_ids=lesson_ids)  # the rows are the record: `retry_due` finds them
        for lesson_id in lesson_ids:
            transaction.on_commit(lambda lesson_id=lesson_id: sync_blog_post.delay(lesson_id))
        self.message_user(
            request,
            ngettext(
                "%(count)d entrada se enviará de nuevo.",
                "%(count)d entradas se enviarán de nuevo.",
                len(lesson_ids),
            )
            % {"count": len(lesson_ids)},
            messages.SUCCESS,
        )
