import pytest
from django.contrib.auth.models import Permission

from courseops.reviews.permissions import ensure_kind_permissions
from courseops.reviews.registry import ApplyError, ReviewKind, register_kind, unregister_kind
from courseops.reviews.services import create_draft


@pytest.fixture
def reviewer(django_user_model):
    """Staff (not superuser) allowed to review demo emails only."""
    user = django_user_model.objects.create_user(
        username="rosa", email="rosa@example.com", password="pw-rosa-1234", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="review_demo_email"))
    return django_user_model.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def outsider(django_user_model):
    """Staff without any review permission."""
    return django_user_model.objects.create_user(
        username="marcos", email="marcos@example.com", password="pw-marcos-1234", is_staff=True
    )


@pytest.fixture
def email_draft(db):
    def make(**overrides):
        fields = {
            "kind": "demo_email",
            "target": None,
            "recipient": "lucia@example.com",
            "subject": "Bienvenida al curso",
            "body": "<p>Hola Lucía, te esperamos el martes.</p>",
            "context": {"student": {"first_name": "Lucía"}, "course": "IA aplicada"},
        }
        fields.update(overrides)
        return create_draft(**fields)

    return make


class NoteKind(ReviewKind):
    """A plain-text kind standing for a domain app's action (publishing a summary, say):
    it records what it published, fails while the draft's data says so, and fails
    transiently for the first `flaky` attempts."""

    def __init__(self):
        super().__init__(name="test_note", label="Nota de prueba")
        self.published = []
        self.flaky = 0

    def apply(self, draft, user):
        if self.flaky:
            self.flaky -= 1
            raise ApplyError("El servicio no responde.", permanent=False)
        if (draft.data or {}).get("fail"):
            raise ApplyError("El destino rechazó la nota.", permanent=True)
        self.published.append({"id": draft.pk, "body": draft.body, "user": user})


@pytest.fixture
def note_kind(db):
    kind = register_kind(NoteKind())
    ensure_kind_permissions()
    yield kind
    unregister_kind(kind.name)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Password hashing is the slowest part of creating staff users; not what we test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
