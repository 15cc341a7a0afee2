"""Demo data for `make run`: a staff user, plus whatever each app's `demo.py` adds."""

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


def load_demo_data():
    staff = ensure_demo_staff()
    autodiscover_modules("demo")
    for loader in _LOADERS:  # in INSTALLED_APPS order: lower floors first
        loader(staff=staff)
    return staff
