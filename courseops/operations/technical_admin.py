"""Technical menus (beat's solar and clocked schedules, which CourseOps never uses, DRF's
raw tokens behind our API tokens, the sign-in records and two-step devices) are for
admins only: superusers and the "admin" role. Other staff keep what their role gives
them everywhere else; here even a permission granted by hand does not show these pages."""

from django.contrib import admin

ADMIN_ROLE = "admin"
TECHNICAL_MODELS = (
    "django_celery_beat.solarschedule",
    "django_celery_beat.clockedschedule",
    "authtoken.tokenproxy",
    "axes.accessattempt",
    "axes.accessfailurelog",
    "axes.accesslog",
    "otp_totp.totpdevice",
)


def is_admin(user) -> bool:
    """Superuser or in the admin role (one query per request, kept on the user)."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_courseops_is_admin"):
        user._courseops_is_admin = user.groups.filter(name=ADMIN_ROLE).exists()
    return user._courseops_is_admin


def _admins_only(model_admin_class):
    class AdminsOnly(model_admin_class):
        def has_module_permission(self, request):
            return is_admin(request.user) and super().has_module_permission(request)

        def has_view_permission(self, request, obj=None):
            return is_admin(request.user) and super().has_view_permission(request, obj)

        def has_add_permission(self, request, *args):
            return is_admin(request.user) and super().has_add_permission(request, *args)

        def has_change_permission(self, request, obj=None):
            return is_admin(request.user) and super().has_change_permission(request, obj)

        def has_delete_permission(self, request, obj=None):
            return is_admin(request.user) and super().has_delete_permission(request, obj)

    AdminsOnly.__name__ = f"AdminsOnly{model_admin_class.__name__}"
    return AdminsOnly


def restrict_technical_models(site=admin.site):
    """Re-register each technical model's admin (whoever registered it) admins-only."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.label_lower in TECHNICAL_MODELS:
            site.unregister(model)
            site.register(model, _admins_only(type(model_admin)))
