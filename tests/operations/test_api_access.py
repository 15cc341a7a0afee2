"""The API checks the admin's model permissions on top of the token's scope: a role matrix
of every endpoint, each called with an all-scopes token of a user in that role."""

import pytest
from django.contrib.auth.models import Group
from django.urls import get_resolver
from rest_framework.test import APIClient

from courseops.operations.models import Erasure
from courseops.operations.roles import ROLES
from courseops.operations.tokens import issue_token

pytestmark = pytest.mark.django_db

EVERYONE = {"admin", "support", "content", "marketing"}
# (method, path, roles allowed). Bodies are empty and ids missing: an allowed call ends in
# 400/404, a refused one in 403, and nothing is changed either way.
MATRIX = [
    ("get", "/api/v1/me/", EVERYONE),
    ("get", "/api/v1/privacy/export/", {"admin", "support"}),
    ("post", "/api/v1/privacy/erase/", {"admin"}),
    # Outbound webhooks: no role but admin manages integrations (roles.py lists none).
    ("get", "/api/v1/webhooks/subscriptions/", {"admin"}),
    ("get", "/api/v1/webhooks/subscriptions/999999/", {"admin"}),
    ("post", "/api/v1/webhooks/subscriptions/999999/rotate-secret/", {"admin"}),
    ("get", "/api/v1/webhooks/events/", {"admin"}),
    ("post", "/api/v1/estudiantes/onboarding/", {"admin", "support"}),
    ("get", "/api/v1/students/", EVERYONE),
    ("get", "/api/v1/students/999999/", EVERYONE),
    ("get", "/api/v1/students/999999/onboarding/", EVERYONE),
    ("post", "/api/v1/checkout/", {"admin", "support"}),
    ("post", "/api/v1/students/999999/billing-portal/", {"admin", "support"}),
    ("get", "/api/v1/webinars/", EVERYONE),
    ("get", "/api/v1/webinars/999999/", EVERYONE),
    ("post", "/api/v1/webinars/999999/registrations/", {"admin", "support", "marketing"}),
    ("get", "/api/v1/leads/", {"admin", "support", "marketing"}),
    ("get", "/api/v1/leads/999999/", {"admin", "support", "marketing"}),
    ("get", "/api/v1/campaigns/999999/stats/", {"admin", "support", "marketing"}),
    ("post", "/api/v1/marketing/events/", {"admin", "marketing"}),
    ("post", "/api/v1/activity/", {"admin", "support"}),
    ("get", "/api/v1/students/999999/progress/", {"admin", "support", "content"}),
    ("post", "/api/v1/assignments/999999/submissions/", {"admin", "support"}),
    ("get", "/api/v1/questions/", {"admin", "support", "content"}),
    ("post", "/api/v1/questions/", {"admin", "support"}),
]


@pytest.fixture
def clients(django_user_model):
    clients = {}
    for role in ROLES:
        user = django_user_model.objects.create_user(
            username=f"api-{role}", password="x", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        _, key = issue_token(user=user, name=role, scopes=["*"])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        clients[role] = client
    return clients


def _api_routes():
    """Every route under /api/v1/ (the schema and docs excluded)."""
    v1 = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                routes.append(prefix + str(pattern.pattern))

    walk(v1.url_patterns, "")
    return routes


def test_the_matrix_covers_every_api_route():
    assert len(_api_routes()) == len({path for _method, path, _roles in MATRIX})


def _id(value):
    # Sets print in a per-process hash order: sorted, so every xdist worker names the
    # cases alike.
    return ",".join(sorted(value)) if isinstance(value, set | frozenset) else str(value)


@pytest.mark.parametrize(("method", "path", "allowed"), MATRIX, ids=_id)
def test_each_role_reaches_exactly_the_endpoints_its_permissions_give(
    clients, method, path, allowed
):
    reached = {
        role
        for role, client in clients.items()
        if getattr(client, method)(path, {}, format="json").status_code != 403
    }

    assert reached == allowed


def test_a_marketing_user_cannot_export_or_erase_a_person(clients):
    marketing = clients["marketing"]

    exported = marketing.get("/api/v1/privacy/export/", {"email": "ana@example.com"})
    erased = marketing.post("/api/v1/privacy/erase/", {"email": "ana@example.com"}, format="json")

    assert (exported.status_code, erased.status_code) == (403, 403)
    assert not Erasure.objects.exists()


def test_support_exports_but_only_the_admin_role_erases(clients):
    assert (
        clients["support"].get("/api/v1/privacy/export/", {"email": "x@example.com"}).status_code
        == 200
    )
    refused = clients["support"].post(
        "/api/v1/privacy/erase/", {"email": "x@example.com"}, format="json"
    )
    erased = clients["admin"].post(
        "/api/v1/privacy/erase/", {"email": "x@example.com"}, format="json"
    )

    assert refused.status_code == 403
    assert erased.status_code == 201
    assert Erasure.objects.count() == 1
