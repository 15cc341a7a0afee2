"""Deny by default in the admin: every action declares its permissions, and each role of
`courseops/operations/roles.py` reaches exactly the pages and actions its permissions give."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse

from courseops.operations.roles import ROLES
from courseops.reviews.permissions import reviewable_kinds
from students.models import Plan, Student

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
# Admins whose pages follow their own rule, on purpose: drafts are open to whoever may
# review some kind (reviews.review_<kind>), and show only those kinds.
NARROWER = {"reviews.Draft"}


def _label(model):
    return model._meta.label


def every_action():
    for model, model_admin in REGISTRY:
        for func, name, _description in model_admin._get_base_actions():
            yield model, model_admin, func, name


def test_every_admin_action_declares_its_permissions():
    undeclared, unknown = [], []
    for model, model_admin, func, name in every_action():
        permissions = getattr(func, "allowed_permissions", None)
        if not permissions:
            undeclared.append(f"{_label(model)}.{name}")
        for permission in permissions or ():
            if not callable(getattr(model_admin, f"has_{permission}_permission", None)):
                unknown.append(f"{_label(model)}.{name}: has_{permission}_permission")

    assert undeclared == [], "admin actions without permissions="
    assert unknown == [], "permissions= naming no has_<perm>_permission method"


def test_no_custom_action_is_out_of_everyone_s_reach(admin_user):
    """A permission the admin can never grant (e.g. `change` on a read-only record admin)
    would hide an action from everyone, the superuser included."""
    request = as_request(admin_user)
    unreachable = [
        f"{_label(model)}.{name}"
        for model, model_admin, _func, name in every_action()
        if name != "delete_selected" and name not in model_admin.get_actions(request)
    ]
    assert unreachable == []


@pytest.fixture
def role_users(django_user_model):
    users = {}
    for role in ROLES:
        user = django_user_model.objects.create_user(
            username=f"role-{role}", email=f"{role}@example.com", password="x", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    return users


def holds(user, model, action):
    return user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


STANDARD = {"view", "add", "change", "delete"}


def may(user, model, action):
    """What the role's permissions give, as roles.py grants them."""
    if _label(model) in NARROWER:
        return bool(reviewable_kinds(user))
    if action == "view":
        return holds(user, model, "view") or holds(user, model, "change")
    return holds(user, model, action)


def as_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_opens_and_edits_only_what_its_permissions_give(role_users, role):
    """Every registered admin, asked as Django asks before answering 403 to a list, a
    change page or a save. (Over HTTP for each role it took minutes on this machine; the
    tests below post the refusals that matter over HTTP.)"""
    user = role_users[role]
    request = as_request(user)
    wrong = []
    for model, model_admin in REGISTRY:
        may_view, may_change = may(user, model, "view"), may(user, model, "change")
        opens = model_admin.has_view_or_change_permission(request)
        saves = model_admin.has_change_permission(request)
        # Some admins edit less than the permission allows (records are read-only): an
        # edit is wrong only where the permission is missing.
        if opens != may_view or (saves and not may_change):
            wrong.append((_label(model), opens, saves, may_view, may_change))

    assert wrong == []


@pytest.mark.parametrize(
    ("role", "may_save"),
    [("marketing", False), ("content", False), ("support", True), ("admin", True)],
)
def test_the_students_pages_answer_each_role_as_pinned(client, role_users, student, role, may_save):
    client.force_login(role_users[role])

    assert client.get(admin_url(Student, "changelist")).status_code == 200
    saved = client.post(admin_url(Student, "change", student.pk), {"full_name": "X"})

    # Allowed: the incomplete form comes back with its errors (200); refused: 403.
    assert (saved.status_code != 403) is may_save


def action_permitted(user, model, model_admin, func):
    """Standard permissions as the role holds them; a custom one (`send`, `rerun`) as its
    admin defines it, after the role may at least open the list."""
    request = as_request(user)
    return may(user, model, "view") and all(
        may(user, model, permission)
        if permission in STANDARD
        else getattr(model_admin, f"has_{permission}_permission")(request)
        for permission in func.allowed_permissions
    )


@pytest.mark.parametrize("role", list(ROLES))
def test_no_role_is_offered_an_action_its_permissions_do_not_give(role_users, role):
    user = role_users[role]
    request = as_request(user)
    wrong = []
    for model, model_admin, func, name in every_action():
        offered = name in model_admin.get_actions(request)
        if offered and not action_permitted(user, model, model_admin, func):
            wrong.append(f"{_label(model)}.{name}")

    assert wrong == []


# The actions the issue found open to every role, pinned by name per role.
PINNED_ACTIONS = [
    ("students.Student", "deactivate", {"support", "admin"}),
    ("students.Student", "resend_welcome", {"support", "admin"}),
    ("students.Student", "retry_failed_steps", {"support", "admin"}),
    ("students.Subscription", "portal_link", {"support", "admin"}),
    ("students.Subscription", "resync", {"support", "admin"}),
    ("marketing.SocialPost", "reschedule", {"marketing", "admin"}),
    ("webinars.Webinar", "cancel", {"support", "marketing", "admin"}),
    ("content.Lesson", "process_selected", {"content", "admin"}),
    ("django_celery_beat.PeriodicTask", "run_tasks", {"admin"}),
]


@pytest.mark.parametrize(("label", "action", "roles"), PINNED_ACTIONS)
def test_pinned_actions_are_offered_to_exactly_their_roles(role_users, label, action, roles):
    model_admin = next(ma for model, ma in REGISTRY if _label(model) == label)
    offered = {
        role
        for role, user in role_users.items()
        if action in model_admin.get_actions(as_request(user))
    }
    assert offered == roles


@pytest.mark.parametrize("role", list(ROLES))
def test_an_action_posted_by_a_role_without_its_permission_does_not_run(client, role_users, role):
    """The forged POST (the action is not on the role's page): Django answers "No action
    selected" and runs nothing."""
    user = role_users[role]
    client.force_login(user)
    refused = 0
    for model, model_admin, func, name in every_action():
        if action_permitted(user, model, model_admin, func) or not may(user, model, "view"):
            continue  # allowed, or the whole list is already refused (403)
        response = client.post(
            admin_url(model, "changelist"),
            {"action": name, "select_across": "1", "index": "0", "_selected_action": ["1"]},
        )
        texts = [str(message) for message in get_messages(response.wsgi_request)]
        # Refused: Django's "no action selected", or no action machinery at all on a list
        # where the role may run none (the list is shown again, nothing ran).
        refused_here = any("No action selected" in t or "No se seleccionó" in t for t in texts)
        no_actions = response.status_code == 200 and not texts
        assert refused_here or no_actions, (f"{_label(model)}.{name}", texts)
        refused += 1
    if role != "admin":
        assert refused > 0


@pytest.fixture
def student(db):
    plan = Plan.objects.create(slug="basico", name="Básico", price=49, currency="USD")
    return Student.objects.create(
        full_name="Ana", email="ana@example.com", plan=plan, status=Student.Status.ACTIVE
    )


# Who may take a student's access away: pinned by name, not derived from the roles.
@pytest.mark.parametrize(
    ("role", "deactivated"),
    [("marketing", False), ("content", False), ("support", True), ("admin", True)],
)
def test_only_roles_that_edit_students_may_deactivate_one(
    client, role_users, student, role, deactivated
):
    client.force_login(role_users[role])

    client.post(
        admin_url(Student, "changelist"),
        {"action": "deactivate", "index": "0", "_selected_action": [str(student.pk)]},
    )

    student.refresh_from_db()
    assert (student.status == student.Status.INACTIVE) is deactivated
