import pytest

from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import approve_draft
from webinars.services.promotion import social_posts_draft

pytestmark = pytest.mark.django_db


def test_scheduling_drafts_one_social_post_with_a_variant_per_network(make_webinar):
    webinar = make_webinar(title="Agentes de IA")

    draft = Draft.objects.get(kind="social_post")
    networks = draft.data["networks"]
    assert sorted(networks) == ["facebook", "instagram", "linkedin", "x"]
    page = f"/webinars/{webinar.pk}/"
    assert page in networks["linkedin"]
    assert page in networks["x"]
    assert len(networks["x"]) < 280
    assert "Enlace en la bio" in networks["instagram"]
    assert "10 de diciembre de 2026" in networks["facebook"]  # in the webinar's own zone
    assert social_posts_draft(webinar=webinar) == draft  # once per webinar


def test_a_draft_webinar_gets_no_posts_and_approval_publishes_nothing(
    make_webinar, staff_user, django_capture_on_commit_callbacks
):
    assert social_posts_draft(webinar=make_webinar(schedule=False)) is None
    make_webinar()
    draft = Draft.objects.get(kind="social_post")

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    draft.refresh_from_db()
    assert draft.status == DraftStatus.APPLIED  # marketing schedules the approved variants
