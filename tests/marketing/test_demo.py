import pytest

from courseops.core.demo import load_demo_data
from courseops.messaging.models import BudgetRule
from marketing.models import Campaign, Lead, LeadForm, Segment, Sequence, TrackingEvent
from marketing.services.reports import campaign_results
from marketing.services.segments import segment_leads

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_finished_ab_campaign_with_results_and_loads_twice_unchanged(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
        load_demo_data()

    campaign = Campaign.objects.get(name__endswith="(demo)")
    assert campaign.status == Campaign.Status.SENT
    assert campaign.winner.label == "B"
    results = {row["label"]: row for row in campaign_results(campaign)}
    assert results["B"]["clicks"] > results["A"]["clicks"]
    assert TrackingEvent.objects.filter(machine=True).exists()
    segment = Segment.objects.get(name__startswith="Interesados")
    assert segment_leads(segment).count() == campaign.recipients.count() > 0
    assert Lead.objects.filter(email="lucia@example.com").count() == 1
    assert BudgetRule.objects.count() == 3
    abandoned, win_back = (
        Sequence.objects.get(trigger=trigger)
        for trigger in (Sequence.Trigger.CHECKOUT_ABANDONED, Sequence.Trigger.WIN_BACK)
    )
    assert abandoned.steps.get(kind="email").approved_body
    assert win_back.steps.count() == 2
    assert LeadForm.objects.get(typeform__form_id="DemoGuia").typeform.purpose == "lead"


def test_the_demo_landing_page_has_ab_results_and_a_copy_draft_in_review(
    django_capture_on_commit_callbacks, client
):
    from courseops.reviews.models import Draft
    from marketing.landing.models import LandingPage
    from marketing.landing.reports import variant_results

    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
        load_demo_data()

    page = LandingPage.objects.get()
    rows = variant_results(page)
    assert [(row["views"], row["signups"]) for row in rows] == [(60, 3), (60, 6)]
    assert Draft.objects.filter(kind="landing_page", status="pending").count() == 1
    assert client.get(f"/l/{page.slug}/", HTTP_USER_AGENT="Mozilla/5.0 Firefox").status_code == 200


def test_the_demo_social_channels_have_posts_clicks_and_a_suggested_slot(
    django_capture_on_commit_callbacks,
):
    from django.contrib.contenttypes.models import ContentType

    from courseops.reviews.models import Draft
    from marketing.social.models import SocialBrief, SocialPost
    from marketing.social.reports import best_slots

    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
        load_demo_data()

    assert SocialPost.objects.filter(status="published").count() == 8
    assert best_slots(network="linkedin")[0]["clicks_per_post"] > 1
    briefs = SocialBrief.objects.all()
    drafts = Draft.objects.filter(
        kind="social_post",
        content_type=ContentType.objects.get_for_model(SocialBrief),
        object_id__in=[str(pk) for pk in briefs.values_list("pk", flat=True)],
    )
    # The topic's drafts, and one set per demo lesson published (loading twice adds none).
    lessons = briefs.filter(lesson__isnull=False).count()
    assert lessons == briefs.filter(lesson__published_at__isnull=False).count() >= 1
    assert drafts.count() == briefs.count() == 1 + lessons


def test_the_demo_offer_waits_for_review(django_capture_on_commit_callbacks):
    from courseops.reviews.models import Draft
    from marketing.offers.models import Offer

    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
        load_demo_data()

    offer = Offer.objects.get()
    assert offer.segment is not None
    assert (
        Draft.objects.filter(kind="offer", object_id=str(offer.pk), status="pending").count() == 1
    )


def test_the_demo_funnel_matches_the_demo_data_counted_by_hand(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from marketing.funnel.report import Window, funnel

    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()

    now = timezone.now()
    rows = {
        row["key"]: row
        for row in funnel("landing", Window(now - timedelta(days=30), now + timedelta(minutes=1)))
    }
    # 120 views and 9 sign-ups on the demo landing page; 90 spent on it.
    page = rows["ia-para-tu-negocio"]
    assert (page["views"], page["leads"], page["cost"], page["cost_per_lead"]) == (120, 9, 90, 10)


def test_the_demo_audience_holds_only_consenting_contacts(django_capture_on_commit_callbacks):
    from marketing.audiences.models import AdAudience, AudienceMember

    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
        load_demo_data()

    audience = AdAudience.objects.get()
    members = set(AudienceMember.objects.values_list("lead__email", flat=True))
    assert members
    assert all(".demo@example.com" in email for email in members)
    assert "contacto7.demo@example.com" not in members  # never consented
    assert audience.syncs.get().status == "ok"
