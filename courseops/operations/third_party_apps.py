"""Spanish names for the third-party apps whose own name staff would otherwise read raw in
the admin ("Otp_Totp", "Axes"): Django's way, a subclass of the app's config named in
INSTALLED_APPS (not DRF's authtoken: its admin looks for its own dotted name there).
Model names cannot be renamed the same way (a third-party model's verbose_name is
migration state), so the sidebar names those (`navigation.MODEL_NAMES`)."""

from axes.apps import AppConfig as AxesConfig
from django.utils.translation import gettext_lazy as _
from django_celery_beat.apps import BeatConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class SignInRecordsConfig(AxesConfig):
    verbose_name = _("Accesos al admin")


class TwoFactorConfig(TOTPConfig):
    verbose_name = _("Verificación en dos pasos")


class SchedulesConfig(BeatConfig):
    verbose_name = _("Tareas programadas")
