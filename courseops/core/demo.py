"""Demo data for `make run`: a staff user, plus whatever each app's `demo.py` adds."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import autodiscover_modules

DEMO_STAFF_EMAIL = "staff@courseops.local"
DEMO_STAFF_USERNAME = "staff"
DEMO_STAFF_PASSWORD = "courseops-demo"

_LOADERS = []


def register(loader):
    """Apps register a function that loads their demo rows idempotently."""
    _LOADERS.append(loader)
    return loader


def ensure_demo_staff():
    if settings.PRODUCTION:
        raise RuntimeError("Refusing to create a demo staff user in production.")
    user, _ = get_user_model().objects.get_or_create(
        username=DEMO_STAFF_USERNAME,
        defaults={"email": DEMO_STAFF_EMAIL, "is_staff": True, "is_superuser": True},
    )
    if not user.check_password(DEMO_STAFF_PASSWORD):
        user.set_password(DEMO_STAFF_PASSWORD)
        user.save(update_fields=["password"])
    return user


def load_demo_data(*, on_ai_failure=None):
    """Run every app's loader. With `on_ai_failure`, a loader that fails on the AI
    gateway (provider down, off-schema answer, budget) is reported to it as one line and
    the others still run; loaders are idempotent, so running again completes it."""
    from courseops.ai.errors import AIError

    staff = ensure_demo_staff()
    autodiscover_modules("demo")
    for loader in _in_app_order(_LOADERS):
        try:
            loader(staff=staff)
        except AIError as exc:
            if on_ai_failure is None:
                raise
            on_ai_failure(ai_failure_line(loader.__module__.rsplit(".", 1)[0], exc))
    return staff


def _in_app_order(loaders):
    """Lower floors first (INSTALLED_APPS order), whichever demo module was imported first:
    a module importing `webinars.demo` before the discovery registered its loader ahead of
    the students', and the webinars' demo then found no active student to register (the
    suite saw it as a KPI without a figure). Within an app, registration order."""
    position = {config.name: n for n, config in enumerate(apps.get_app_configs())}

    def app_of(loader):
        module = loader.__module__
        owners = [name for name in position if module == name or module.startswith(f"{name}.")]
        return position[max(owners, key=len)] if owners else len(position)

    return sorted(loaders, key=app_of)


def ai_failure_line(what, exc):
    """One line for an operator: what failed, the error's kind and its message."""
    message = " ".join(str(exc).split())
    return f"IA: {what} sin completar ({type(exc).__name__}: {message})"
