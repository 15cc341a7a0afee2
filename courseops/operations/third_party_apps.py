"""Spanish names for the third-party apps whose own name staff would otherwise read raw in
the admin ("Otp_Totp", "Axes"): Django's way, a subclass of the app's config named in
INSTALLED_APPS (not DRF's authtoken: its admin looks for its own dotted name there).
A third-party model's Meta is migration state, so the sidebar names most models
(`navigation.MODEL_NAMES`); the two-step devices, whose admin pages staff open, get their
Spanish name in `ready()` on the model's options, which the migration autodetector does not
read (it reads the class's original Meta)."""

from axes.apps import AppConfig as AxesConfig
from django.utils.translation import gettext_lazy as _
from django_celery_beat.apps import BeatConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class SignInRecordsConfig(AxesConfig):
    verbose_name = _("Accesos al admin")


class TwoFactorConfig(TOTPConfig):
    verbose_name = _("Verificación en dos pasos")

    def ready(self):
        super().ready()
        # django-otp names it "TOTP device" without gettext: its list, form, breadcrumbs
        # and history read English otherwise.
        options = self.get_model("TOTPDevice")._meta
        options.verbose_name = _("app de verificación (TOTP)")
        options.verbose_name_plural = _("apps de verificación (TOTP)")


class SchedulesConfig(BeatConfig):
    verbose_name = _("Tareas programadas")
