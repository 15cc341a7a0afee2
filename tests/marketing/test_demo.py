import pytest

from courseops.core.demo import load_demo_data
from courseops.messaging.models import BudgetRule
from marketing.models import Campaign, Lead, LeadForm, Segment, Sequence, TrackingEvent
from marketing.reports import campaign_results
from marketing.segments import segment_leads

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
