"""The sidebar counts the drafts waiting in each review queue the user may review, and
still lists every app the user may see; its cost does not grow with the drafts."""

from fnmatch import fnmatch

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.operations.navigation import pending_by_kind
from courseops.operations.roles import ROLES
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import all_kinds

pytestmark = pytest.mark.django_db


def _kind(pattern):
    return next(kind.name for kind in all_kinds() if fnmatch(kind.name, pattern))


def _drafts(kind, n, status=DraftStatus.PENDING):
    Draft.objects.bulk_create(
        [Draft(kind=kind, status=status, body="x", generated_body="x") for _ in range(n)]
    )


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_sees_the_pending_count_of_the_queues_it_reviews(client, django_user_model, role):
    kinds = {"welcome_email": 2, _kind("lesson_*"): 3, _kind("landing_*"): 1}
    for kind, n in kinds.items():
        _drafts(kind, n)
    _drafts("welcome_email", 4, DraftStatus.APPROVED)  # decided: not waiting
    user = django_user_model.objects.create_user(username=role, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)

    may_review = {
        kind for kind in kinds if any(fnmatch(kind, p) for p in ROLES[role]["review_kinds"])
    }
    assert pending_by_kind(user) == {kind: kinds[kind] for kind in may_review}
    page = client.get("/admin/").content.decode()
    for kind in kinds:
        assert (f"?kind={kind}&amp;status=pending" in page) == (kind in may_review), kind
    if role == "support":
        assert "/admin/students/student/" in page  # the apps are still listed
        assert "Por revisar" in page


def test_the_sidebar_costs_the_same_with_more_drafts_and_queues(admin_client):
    _drafts("welcome_email", 1)
    admin_client.get("/admin/reviews/reviewpolicy/")  # warm sessions and content types
    with CaptureQueriesContext(connection) as small:
        admin_client.get("/admin/reviews/reviewpolicy/")
    for kind in [_kind("lesson_*"), _kind("landing_*"), _kind("faq_*")]:
        _drafts(kind, 25)
    with CaptureQueriesContext(connection) as large:
        page = admin_client.get("/admin/reviews/reviewpolicy/").content.decode()
    assert f"?kind={_kind('faq_*')}&amp;status=pending" in page
    assert len(large) == len(small)
