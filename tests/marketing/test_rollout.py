"""Campaigns' rollout, mode by mode: in shadow each contact's email is rendered and kept
(the log shows what would have gone out); in review each waits for staff; at N % the same
people get it at once and the others wait; automatic, it is sent; a shadow ending
mid-campaign; the newsletter draft itself kept in shadow."""

from datetime import timedelta

import pytest
from django.core import mail

from courseops.messaging.models import OutboundMessage, Status
from courseops.reviews.models import Draft, DraftStatus, PolicyMode
from courseops.reviews.rollout import set_automation_policy
from courseops.reviews.services import approve_draft
from courseops.reviews.shadow_log import shadow_log
from marketing.models import Variant
from marketing.services.campaigns import schedule_campaign
from marketing.services.content import submit_variant
from tests.marketing.conftest import NOON
from tests.marketing.test_campaigns import campaign_factory, everyone, make_leads, run  # noqa: F401
from tests.rollout_helpers import automatic_under

pytestmark = pytest.mark.django_db


def campaign_emails():
    return OutboundMessage.objects.filter(idempotency_key__startswith="marketing.campaign.")


def test_a_campaign_in_shadow_renders_each_email_and_sends_none(
    campaign_factory,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    make_leads(3)
    campaign = campaign_factory(send_at=NOON, batch_size=10)
    schedule_campaign(campaign=campaign)
    set_automation_policy(automation="campaigns", mode=PolicyMode.SHADOW, user=staff_user)

    run(django_capture_on_commit_callbacks, NOON)

    assert set(campaign_emails().values_list("status", flat=True)) == {Status.SHADOWED}
    assert campaign_emails().get(recipient="p1@example.com").subject == "Persona1, novedades A"
    assert mail.outbox == []
    log = shadow_log(automation="campaigns", start=NOON, end=NOON + timedelta(hours=1))
    assert (log.would_have_sent, log.sent_automatically) == (3, 0)
    assert sorted(row.person for row in log.people) == [f"p{n}@example.com" for n in range(3)]


def test_a_campaign_in_review_holds_each_email_for_staff_approval(
    campaign_factory,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    make_leads(3)
    campaign = campaign_factory(send_at=NOON, batch_size=10)
    schedule_campaign(campaign=campaign)
    set_automation_policy(automation="campaigns", mode=PolicyMode.REVIEW, user=staff_user)

    run(django_capture_on_commit_callbacks, NOON)

    assert set(campaign_emails().values_list("status", flat=True)) == {Status.HELD}
    assert mail.outbox == []
    drafts = Draft.objects.filter(kind="automation_message", automation="campaigns")
    assert sorted(drafts.values_list("person_key", flat=True)) == [
        f"p{n}@example.com" for n in range(3)
    ]
    first = campaign_emails().get(recipient="p1@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=drafts.get(object_id=str(first.pk)), user=staff_user)
    assert [m.to for m in mail.outbox] == [["p1@example.com"]]
    assert campaign_emails().filter(status=Status.HELD).count() == 2


def test_a_campaign_at_n_percent_sends_to_the_same_people_and_holds_the_others(
    campaign_factory,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    make_leads(8)
    emails = [f"p{n}@example.com" for n in range(8)]
    automatic = automatic_under("automation:campaigns", 50, emails)
    campaign = campaign_factory(send_at=NOON, batch_size=10)
    schedule_campaign(campaign=campaign)
    set_automation_policy(
        automation="campaigns", mode=PolicyMode.PERCENT, percent=50, user=staff_user
    )

    run(django_capture_on_commit_callbacks, NOON)

    statuses = dict(campaign_emails().values_list("recipient", "status"))
    assert statuses == {e: Status.SENT if e in automatic else Status.HELD for e in emails}
    assert sorted(to for m in mail.outbox for to in m.to) == sorted(automatic)


def test_a_fully_automatic_campaign_is_sent_its_review_is_the_newsletters(
    campaign_factory,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    make_leads(3)
    campaign = campaign_factory(send_at=NOON, batch_size=10)
    schedule_campaign(campaign=campaign)
    set_automation_policy(automation="campaigns", mode=PolicyMode.AUTO, user=staff_user)

    run(django_capture_on_commit_callbacks, NOON)

    assert set(campaign_emails().values_list("status", flat=True)) == {Status.SENT}
    assert len(mail.outbox) == 3
    assert not Draft.objects.filter(kind="automation_message").exists()


def test_a_shadow_ending_mid_campaign_sends_the_batches_after_it(
    campaign_factory,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    make_leads(4)
    campaign = campaign_factory(send_at=NOON, batch_size=2)
    schedule_campaign(campaign=campaign)
    set_automation_policy(
        automation="campaigns",
        mode=PolicyMode.AUTO,
        shadow_from=NOON - timedelta(days=1),
        shadow_until=NOON + timedelta(seconds=30),
        user=staff_user,
    )

    run(django_capture_on_commit_callbacks, NOON)
    run(django_capture_on_commit_callbacks, NOON + timedelta(minutes=1))

    statuses = sorted(campaign_emails().values_list("status", flat=True))
    assert statuses == [Status.SENT, Status.SENT, Status.SHADOWED, Status.SHADOWED]
    assert len(mail.outbox) == 2


def test_a_newsletter_drafted_while_campaigns_are_in_shadow_is_kept_not_queued(
    everyone,  # noqa: F811
    staff_user,
):
    from marketing.models import Campaign

    set_automation_policy(automation="campaigns", mode=PolicyMode.SHADOW, user=staff_user)
    campaign = Campaign.objects.create(name="Diciembre")
    variant = Variant.objects.create(campaign=campaign, subject="Hola", body_html="<p>x</p>")

    draft = submit_variant(variant=variant)

    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.SHADOW
