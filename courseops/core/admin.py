from unfold.admin import ModelAdmin


class RecordAdmin(ModelAdmin):
    """Admin for records that are evidence (audit entries, AI usage, webhook events):
    staff read them and run actions, but never add, edit or delete them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _register_sign_in_admin():
    """django-axes' list of sign-in attempts, with its clean-up action declaring who may
    run it (the delete permission), as every admin action here does."""
    from axes.admin import AccessAttemptAdmin
    from axes.models import AccessAttempt
    from django.contrib import admin
    from django.utils.translation import gettext_lazy as _

    class SignInAttemptAdmin(AccessAttemptAdmin):
        @admin.action(description=_("Borrar los intentos caducados"), permissions=["delete"])
        def cleanup_expired_attempts(self, request, queryset):
            return super().cleanup_expired_attempts(request, queryset)

    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
        admin.site.register(AccessAttempt, SignInAttemptAdmin)


_register_sign_in_admin()
