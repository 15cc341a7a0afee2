"""Nurture sequences: enter by a trigger, each step once, branch, stop at the goal, and
edits keep contacts in flight on the rule docs/marketing.md states."""

from datetime import timedelta

import pytest
import time_machine

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.services import apply_draft, approve_draft
from marketing.models import Action, Enrolment, LeadForm, Sequence, Step
from marketing.services.scoring import record_action
from marketing.services.sequences import run_sequences, submit_step
from students.models import Student
from tests.marketing.conftest import NOON
from webinars.models import Registration
from webinars.signals import webinar_missed

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(db):
    return LeadForm.objects.create(slug="guia-ia", name="Guía IA", double_opt_in=False)


def email_step(sequence, position, text, staff_user):
    step = Step.objects.create(
        sequence=sequence,
        position=position,
        kind=Step.Kind.EMAIL,
        subject=f"{{nombre}}: {text}",
        body=f"<p>Hola {{nombre}}, {text}</p>",
    )
    draft = approve_draft(draft=submit_step(step=step), user=staff_user)
    apply_draft(draft_id=draft.pk)
    return step


@pytest.fixture
def nurture(form, staff_user):
    sequence = Sequence.objects.create(
        name="Bienvenida guía", trigger=Sequence.Trigger.FORM, trigger_form=form
    )
    email_step(sequence, 1, "tu guía", staff_user)
    Step.objects.create(sequence=sequence, position=2, kind=Step.Kind.WAIT, wait_days=2)
    Step.objects.create(
        sequence=sequence,
        position=3,
        kind=Step.Kind.BRANCH,
        condition=Step.Condition.CLICKED,
        jump_to=5,
    )
    email_step(sequence, 4, "¿la leíste?", staff_user)
    email_step(sequence, 5, "siguiente nivel", staff_user)
    return sequence


def subjects():
    return list(
        OutboundMessage.objects.filter(category="marketing")
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def tick(capture, at, times=1):
    for _ in range(times):
        with time_machine.travel(at, tick=False), capture(execute=True):
            run_sequences()


def test_a_contact_from_the_form_walks_the_steps_once_and_the_branch_without_a_click(
    nurture, form, subscribe, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False):
        lead = subscribe({"email": "ana@example.com", "name": "Ana", "consent": True}, form=form)
    tick(django_capture_on_commit_callbacks, NOON, times=3)  # email, then the wait
    assert subjects() == ["Ana: tu guía"]

    tick(django_capture_on_commit_callbacks, NOON + timedelta(days=1), times=2)
    assert subjects() == ["Ana: tu guía"]  # still waiting
    tick(django_capture_on_commit_callbacks, NOON + timedelta(days=2), times=6)

    assert subjects() == ["Ana: tu guía", "Ana: ¿la leíste?", "Ana: siguiente nivel"]
    enrolment = Enrolment.objects.get(lead=lead)
    assert enrolment.status == Enrolment.Status.COMPLETED


def test_a_click_takes_the_branch(nurture, form, subscribe, django_capture_on_commit_callbacks):
    with time_machine.travel(NOON, tick=False):
        lead = subscribe({"email": "ana@example.com", "name": "Ana", "consent": True}, form=form)
    tick(django_capture_on_commit_callbacks, NOON, times=2)
    with time_machine.travel(NOON + timedelta(hours=5), tick=False):
        record_action(lead=lead, action=Action.CLICKED, ref="campaign:1")
    tick(django_capture_on_commit_callbacks, NOON + timedelta(days=2), times=6)

    assert subjects() == ["Ana: tu guía", "Ana: siguiente nivel"]


def test_becoming_a_customer_ends_the_sequence(
    nurture, form, subscribe, django_capture_on_commit_callbacks
):
    from students.models import Plan

    with time_machine.travel(NOON, tick=False):
        lead = subscribe({"email": "ana@example.com", "consent": True}, form=form)
    tick(django_capture_on_commit_callbacks, NOON, times=2)
    Student.objects.create(
        full_name="Ana",
        email="ana@example.com",
        plan=Plan.objects.create(slug="pro", name="Pro"),
        source="api",
    )
    tick(django_capture_on_commit_callbacks, NOON + timedelta(days=3), times=5)

    assert len(subjects()) == 1
    assert Enrolment.objects.get(lead=lead).status == Enrolment.Status.GOAL


def test_signing_up_again_does_not_restart_the_sequence(
    nurture, form, subscribe, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False):
        subscribe({"email": "ana@example.com", "consent": True}, form=form)
        tick(django_capture_on_commit_callbacks, NOON, times=2)
        subscribe({"email": "ana@example.com", "consent": True}, form=form)
        tick(django_capture_on_commit_callbacks, NOON, times=2)

    assert Enrolment.objects.count() == 1
    assert len(subjects()) == 1


def test_an_edit_keeps_contacts_in_flight_on_the_next_step_after_the_last_one_done(
    nurture, form, subscribe, staff_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False):
        subscribe({"email": "ana@example.com", "name": "Ana", "consent": True}, form=form)
    tick(django_capture_on_commit_callbacks, NOON, times=2)  # did 1 (email) and 2 (wait)
    nurture.steps.filter(position__in=(3, 4)).delete()
    email_step(nurture, 0, "paso insertado antes", staff_user)  # already past for Ana
    tick(django_capture_on_commit_callbacks, NOON + timedelta(days=2), times=3)

    assert subjects() == ["Ana: tu guía", "Ana: siguiente nivel"]


def test_a_step_waits_for_its_review_before_anything_goes(
    form, subscribe, django_capture_on_commit_callbacks
):
    sequence = Sequence.objects.create(name="x", trigger="form", trigger_form=form)
    Step.objects.create(sequence=sequence, position=1, kind="email", subject="s", body="<p>b</p>")
    with time_machine.travel(NOON, tick=False):
        subscribe({"email": "ana@example.com", "consent": True}, form=form)
    tick(django_capture_on_commit_callbacks, NOON, times=2)

    assert subjects() == []
    assert Draft.objects.count() == 0  # staff send it to review from the admin


def test_missing_a_webinar_enrols_in_the_no_show_sequence(subscribe):
    from django.utils import timezone

    from webinars.models import Webinar

    sequence = Sequence.objects.create(name="No-show", trigger=Sequence.Trigger.WEBINAR_MISSED)
    lead = subscribe({"email": "ana@example.com"})
    webinar = Webinar.objects.create(title="IA", starts_at=timezone.now())
    registration = Registration.objects.create(
        webinar=webinar, email="ana@example.com", source="page"
    )

    webinar_missed.send(
        sender=Registration, registration=registration, webinar=webinar, student=None
    )

    assert Enrolment.objects.get().sequence == sequence
    assert Enrolment.objects.get().lead == lead


def test_the_sequence_page_counts_contacts_per_step(
    nurture, form, subscribe, client, staff_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False):
        subscribe({"email": "ana@example.com", "consent": True}, form=form)
    tick(django_capture_on_commit_callbacks, NOON, times=1)
    client.force_login(staff_user)

    page = client.get(f"/admin/marketing/sequence/{nurture.pk}/change/").content.decode()

    assert "contactos por paso" in page.lower()
    assert '<td>1</td><td>En curso</td><td class="num">1</td>' in page  # did step 1, in progress
    assert client.get("/admin/marketing/sequence/").status_code == 200


def test_the_sequence_and_segment_lists_load_in_the_same_number_of_queries_at_two_sizes(
    form, client, staff_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketing.models import Lead, Segment

    client.force_login(staff_user)
    counts = {"sequence": [], "segment": []}
    for size in (2, 12):
        for n in range(size):
            sequence = Sequence.objects.create(
                name=f"s{size}-{n}", trigger="form", trigger_form=form
            )
            lead = Lead.objects.create(
                email=f"l{size}-{n}@example.com", first_source="api", last_source="api"
            )
            Enrolment.objects.create(sequence=sequence, lead=lead)
            Segment.objects.create(name=f"g{size}-{n}")
        for model in counts:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/admin/marketing/{model}/").status_code == 200
            counts[model].append(len(queries))

    assert counts["sequence"][0] == counts["sequence"][1]
    assert counts["segment"][0] == counts["segment"][1]


def test_an_email_step_gets_the_ai_sentence_for_each_contact_inside_the_reviewed_text(
    form, subscribe, staff_user, django_capture_on_commit_callbacks
):
    sequence = Sequence.objects.create(name="IA", trigger="form", trigger_form=form)
    step = Step.objects.create(
        sequence=sequence,
        position=1,
        kind="email",
        subject="{nombre}, tu guía",
        body="<p>Hola {nombre}. {personal}</p>",
    )
    draft = approve_draft(draft=submit_step(step=step), user=staff_user)
    apply_draft(draft_id=draft.pk)
    with time_machine.travel(NOON, tick=False):
        subscribe(
            {"email": "ana@example.com", "name": "Ana", "interests": "Agentes", "consent": True},
            form=form,
        )
    tick(django_capture_on_commit_callbacks, NOON)  # asks the AI (a task), sends nothing
    assert subjects() == []
    enrolment = Enrolment.objects.get()
    assert enrolment.personal_step == step
    assert "Agentes" in enrolment.personal_line

    tick(django_capture_on_commit_callbacks, NOON)

    message = OutboundMessage.objects.get(category="marketing")
    assert "Hola Ana. Como te interesa Agentes" in message.html_body
    assert "{personal}" not in message.html_body
    assert "Como te interesa Agentes" in message.text_body
    assert "/suscripcion/preferencias/" in message.text_body


def test_under_double_opt_in_the_first_step_waits_for_the_confirmation_and_then_goes(
    form, staff_user, subscribe, django_capture_on_commit_callbacks
):
    """The thank-you page promised the welcome: it is sent once the person confirms, not
    refused by the outbox (and lost) while the consent was still pending."""
    from courseops.messaging.models import Status
    from marketing.models import Purpose
    from marketing.services.consent import confirm_consents

    LeadForm.objects.filter(pk=form.pk).update(double_opt_in=True)
    form.refresh_from_db()
    sequence = Sequence.objects.create(
        name="Bienvenida guía", trigger=Sequence.Trigger.FORM, trigger_form=form
    )
    email_step(sequence, 1, "tu guía", staff_user)
    email_step(sequence, 2, "segunda clase", staff_user)
    with time_machine.travel(NOON, tick=False):
        lead = subscribe({"email": "ana@example.com", "name": "Ana", "consent": True}, form=form)
    tick(django_capture_on_commit_callbacks, NOON, times=3)

    enrolment = Enrolment.objects.get(lead=lead)
    assert subjects() == []  # held, not sent to be refused
    assert (enrolment.done_position, enrolment.waiting_for_consent) == (-1, Purpose.NEWSLETTER)

    with time_machine.travel(NOON + timedelta(days=2), tick=False):
        confirm_consents(lead=lead)
    enrolment.refresh_from_db()
    assert enrolment.next_run_at == NOON + timedelta(days=2)  # woken by the confirmation
    tick(django_capture_on_commit_callbacks, NOON + timedelta(days=2), times=3)

    welcome = OutboundMessage.objects.filter(category="marketing").order_by("pk")
    assert list(welcome.values_list("subject", "status")) == [
        ("Ana: tu guía", Status.SENT),
        ("Ana: segunda clase", Status.SENT),
    ]
