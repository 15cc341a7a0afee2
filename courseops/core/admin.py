import copy

from django.utils.html import format_html
from django.utils.safestring import SafeData
from unfold.admin import ModelAdmin

from courseops.core.redaction import (
    VIEW_SENT_CREDENTIALS,
    mask_credentials,
    mask_value,
    pretty_json,
)


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


class MaskedCredentialsMixin:
    """Shows `masked_fields` (model fields or display methods) with their credentials
    masked (courseops.core.redaction) unless the user holds `VIEW_SENT_CREDENTIALS`.

    Each listed name is swapped for a read-only `masked_<name>` on the change page, and
    the original left out of the form, so nothing shows it by another way."""

    masked_fields = ()

    def shows_credentials(self, request):
        return request.user.has_perm(VIEW_SENT_CREDENTIALS)

    def _swap(self, names):
        swapped = []
        for name in names:
            name = f"masked_{name}" if name in self.masked_fields else name
            if name not in swapped:
                swapped.append(name)
        return swapped

    def get_readonly_fields(self, request, obj=None):
        return self.mask_readonly_fields(request, super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        return self.mask_fieldsets(request, super().get_fieldsets(request, obj))

    # An admin that overrides get_readonly_fields/get_fieldsets without super() passes its
    # result through these two.
    def mask_readonly_fields(self, request, readonly):
        if self.shows_credentials(request):
            return list(readonly)
        model_fields = {field.name for field in self.model._meta.get_fields()}
        originals = [name for name in self.masked_fields if name in model_fields]
        masked = [f"masked_{name}" for name in self.masked_fields]
        # Originals stay listed so the form leaves them out; the fieldsets hide them.
        return [*self._swap(readonly), *masked, *originals]

    def mask_fieldsets(self, request, fieldsets):
        if self.shows_credentials(request):
            return fieldsets
        return [
            (title, {**opts, "fields": self._swap(opts["fields"])}) for title, opts in fieldsets
        ]

    def __getattr__(self, name):
        if name.startswith("masked_") and name.removeprefix("masked_") in self.masked_fields:
            return self._masked_display(name.removeprefix("masked_"))
        raise AttributeError(name)

    def _masked_display(self, name):
        method = getattr(type(self), name, None)
        if method is not None:
            description = getattr(method, "short_description", name)
        else:
            description = self.model._meta.get_field(name).verbose_name

        def display(obj):
            # The row's own texts and JSON masked first, so a display method (a pretty
            # payload, an HTML preview) builds from masked values, JSON keys included.
            masked = copy.copy(obj)
            for field in obj._meta.concrete_fields:
                value = getattr(obj, field.attname)
                if isinstance(value, str | dict | list):
                    setattr(masked, field.attname, mask_value(value))
            value = method(self, masked) if method is not None else getattr(masked, name)
            if isinstance(value, dict | list):
                return format_html("<pre>{}</pre>", pretty_json(value))
            if isinstance(value, SafeData) or not isinstance(value, str):
                return mask_credentials(value)
            return format_html(
                '<pre style="white-space:pre-wrap">{}</pre>', mask_credentials(value)
            )

        display.short_description = description
        return display


def _library_admins_deny_by_default():
    """django-celery-beat's schedule admin ships actions without `permissions=`: anyone who
    may open the list could run, enable or disable every periodic task. Re-register it
    with each action asking for the change permission."""
    from django.contrib import admin
    from django_celery_beat.admin import PeriodicTaskAdmin
    from django_celery_beat.models import PeriodicTask

    def guarded(name):
        inherited = getattr(PeriodicTaskAdmin, name)

        def action(self, request, queryset):
            return inherited(self, request, queryset)

        action.__name__ = name
        return admin.action(description=inherited.short_description, permissions=["change"])(action)

    attrs = {name: guarded(name) for name in PeriodicTaskAdmin.actions}
    attrs["__module__"] = __name__
    if admin.site.is_registered(PeriodicTask):
        admin.site.unregister(PeriodicTask)
    admin.site.register(PeriodicTask, type("PeriodicTaskAdmin", (PeriodicTaskAdmin,), attrs))


_library_admins_deny_by_default()
