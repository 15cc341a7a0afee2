"""The rollout pages: staff with the permission move an automation's rollout (audited),
narrower roles only read it, and the page shows the shadow log beside what staff sent by
hand and the approved-unedited rate per arm."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import queue_email
from courseops.reviews.automations import Automation, register_automation, unregister_automation
from courseops.reviews.models import AutomationPolicy, PolicyMode
from courseops.reviews.permissions import ensure_kind_permissions
from courseops.reviews.rollout import set_automation_policy, set_kind_policy
from courseops.reviews.services import approve_draft, edit_draft, reject_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_flow(db):
    automation = register_automation(
        Automation(name="demo_flow", label="Flujo de prueba", kinds=["demo_email"])
    )
    ensure_kind_permissions()
    yield AutomationPolicy.objects.get(automation="demo_flow")
    unregister_automation(automation.name)


def staff_with(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(
        username=username, email=f"{username}@example.com", password="pw-1234-abcd", is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return django_user_model.objects.get(pk=user.pk)


def change_url(policy):
    return reverse("admin:reviews_automationpolicy_change", args=[policy.pk])


def posted(mode, percent="0"):
    return {
        "mode": mode,
        "percent": percent,
        "shadow_from_0": "",
        "shadow_from_1": "",
        "shadow_until_0": "",
        "shadow_until_1": "",
    }


def test_every_registered_automation_has_a_rollout_row_automatic_by_default():
    names = set(AutomationPolicy.objects.values_list("automation", flat=True))
    assert {"onboarding", "reminders", "followups", "nudges", "faq_answers", "campaigns"} <= names
    assert set(AutomationPolicy.objects.values_list("mode", flat=True)) == {PolicyMode.AUTO}


def test_a_role_that_may_only_read_rollouts_cannot_change_one(client, django_user_model, demo_flow):
    reader = staff_with(django_user_model, "lector", "view_automationpolicy")
    client.force_login(reader)

    assert client.get(change_url(demo_flow)).status_code == 200
    response = client.post(change_url(demo_flow), posted(PolicyMode.SHADOW))

    assert response.status_code == 403
    assert AutomationPolicy.objects.get(pk=demo_flow.pk).mode == PolicyMode.AUTO
    assert not AuditEntry.objects.filter(action="reviews.rollout.changed").exists()


def test_a_reviewer_without_rollout_permissions_cannot_even_see_them(
    client, django_user_model, demo_flow
):
    reviewer = staff_with(django_user_model, "revisora", "review_demo_email")
    client.force_login(reviewer)

    assert client.get(change_url(demo_flow)).status_code == 403
    assert client.post(change_url(demo_flow), posted(PolicyMode.AUTO)).status_code == 403


def test_staff_with_the_permission_move_a_rollout_and_it_is_audited(
    client, django_user_model, demo_flow
):
    manager = staff_with(
        django_user_model, "gestora", "view_automationpolicy", "change_automationpolicy"
    )
    client.force_login(manager)

    response = client.post(change_url(demo_flow), posted(PolicyMode.PERCENT, "30"))

    assert response.status_code == 302
    policy = AutomationPolicy.objects.get(pk=demo_flow.pk)
    assert (policy.mode, policy.percent, policy.updated_by) == (PolicyMode.PERCENT, 30, manager)
    entry = AuditEntry.objects.get(action="reviews.rollout.changed")
    assert entry.actor == manager
    assert entry.data["to"]["percent"] == 30


def test_the_page_shows_the_shadow_log_beside_what_staff_sent_by_hand(
    admin_client, admin_user, demo_flow, email_draft, django_capture_on_commit_callbacks
):
    # Before the shadow: a draft staff approved as written, one edited, one rejected.
    by_hand = email_draft(recipient="marta@example.com", subject="Hola Marta")
    edited = email_draft(recipient="pablo@example.com", subject="Hola Pablo")
    rejected = email_draft(recipient="sara@example.com", subject="Hola Sara")
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=by_hand, user=admin_user)
        edit_draft(draft=edited, user=admin_user, body="<p>Otro texto</p>")
        approve_draft(draft=edited, user=admin_user)
        reject_draft(draft=rejected, user=admin_user, reason="No toca")
    set_automation_policy(
        automation="demo_flow",
        mode=PolicyMode.AUTO,
        shadow_from=timezone.now() - timedelta(hours=1),
        shadow_until=timezone.now() + timedelta(days=7),
        user=admin_user,
    )
    set_kind_policy(kind="demo_email", mode=PolicyMode.AUTO, user=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        email_draft(recipient="marta@example.com", subject="Bienvenida automática")
        queue_email(
            to="marta@example.com",
            idempotency_key="demo.reminder",
            subject="Recordatorio automático",
            text="Mañana empieza",
            automation="demo_flow",
        )

    assert OutboundMessage.objects.filter(status=Status.SHADOWED).count() == 1
    assert [m.subject for m in mail.outbox] == ["Hola Marta", "Hola Pablo"]

    page = admin_client.get(change_url(demo_flow)).content.decode()
    assert "Registro en sombra" in page
    assert "Habría enviado 1 mensajes y dejado 1 borradores sin aplicar" in page
    assert "el equipo envió 2 a mano" in page
    assert "Recordatorio automático; Bienvenida automática" in page
    assert "Hola Marta" in page  # beside it, what staff sent Marta themselves

    # The rate per arm: of the three staff decisions in review, one approved as written.
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = admin_client.get(
        change_url(demo_flow), {"desde": yesterday, "hasta": tomorrow}
    ).content.decode()
    assert "33 %" in page


@pytest.mark.parametrize(("role", "may_move"), [("support", False), ("marketing", False),
                                                ("content", False), ("admin", True)])  # fmt: skip
def test_only_the_admin_role_moves_a_rollout(client, django_user_model, demo_flow, role, may_move):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=f"role-{role}", email=f"{role}@example.com", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)

    response = client.post(change_url(demo_flow), posted(PolicyMode.SHADOW))

    assert response.status_code == (302 if may_move else 403)
    moved = AutomationPolicy.objects.get(pk=demo_flow.pk).mode == PolicyMode.SHADOW
    assert moved is may_move


@pytest.fixture
def shadowed_reminder(demo_flow, admin_user, django_capture_on_commit_callbacks):
    set_automation_policy(automation="demo_flow", mode=PolicyMode.SHADOW, user=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            to="marta@example.com",
            idempotency_key="demo.shadowed",
            subject="Tu enlace para entrar",
            text="Entra aquí",
            automation="demo_flow",
        )
    assert OutboundMessage.objects.filter(status=Status.SHADOWED).count() == 1
    return demo_flow


def role_user(django_user_model, role):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=f"role-{role}", email=f"{role}@example.com", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.parametrize(
    ("role", "sees_people"),
    [("support", False), ("marketing", False), ("content", False), ("admin", True)],
)
def test_the_shadow_log_shows_people_and_subjects_only_to_those_who_may_read_them(
    client, django_user_model, shadowed_reminder, role, sees_people
):
    client.force_login(role_user(django_user_model, role))

    response = client.get(change_url(shadowed_reminder))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Habría enviado 1 mensajes" in page  # the counts, for every role that reads it
    assert ("marta@example.com" in page) is sees_people
    assert ("Tu enlace para entrar" in page) is sees_people
    assert ('id="shadow-people-hidden"' in page) is not sees_people


def test_a_reviewer_of_every_kind_the_automation_writes_sees_its_people(
    client, django_user_model, shadowed_reminder
):
    reviewer = staff_with(django_user_model, "revisa", "view_automationpolicy", "review_demo_email")
    client.force_login(reviewer)

    assert "marta@example.com" in client.get(change_url(shadowed_reminder)).content.decode()


def test_a_refused_post_reads_no_figures(client, django_user_model, shadowed_reminder):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff_with(django_user_model, "lector", "view_automationpolicy"))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(change_url(shadowed_reminder), posted(PolicyMode.AUTO))

    assert response.status_code == 403
    assert not [q for q in queries if "messaging_outboundmessage" in q["sql"]]


def test_the_shadow_log_reads_a_bounded_number_of_rows(
    demo_flow, admin_user, django_capture_on_commit_callbacks
):
    from courseops.reviews import shadow_log as log_module

    set_automation_policy(automation="demo_flow", mode=PolicyMode.SHADOW, user=admin_user)
    for n in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            queue_email(
                to=f"p{n}@example.com",
                idempotency_key=f"demo.many.{n}",
                subject=f"Aviso {n}",
                text="t",
                automation="demo_flow",
            )
    start, end = timezone.now() - timedelta(hours=1), timezone.now() + timedelta(hours=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(log_module, "ROWS_READ", 2)
        patch.setattr(log_module, "PEOPLE_SHOWN", 2)
        log = log_module.shadow_log(automation="demo_flow", start=start, end=end)

    assert log.would_have_sent == 5  # counted, not read
    assert [row.person for row in log.people] == ["email:p0@example.com", "email:p1@example.com"]
    assert log.more_people == 3


@pytest.mark.parametrize(
    "period",
    [
        {"desde": "2024-02-30", "hasta": "2024-03-05"},
        {"desde": "2024-03-05", "hasta": "2024-03-01"},
        {"desde": "ayer", "hasta": ""},
    ],
)
def test_an_impossible_period_shows_the_default_one_with_a_spanish_warning(
    admin_client, demo_flow, period
):
    response = admin_client.get(change_url(demo_flow), period)

    assert response.status_code == 200
    assert "Ese periodo no es válido" in response.content.decode()


@pytest.mark.parametrize(
    ("shadow", "error"),
    [
        ({"shadow_from_0": "2026-12-01", "shadow_from_1": "10:00"}, "Indica cuándo termina"),
        (
            {
                "shadow_from_0": "2026-12-05",
                "shadow_from_1": "10:00",
                "shadow_until_0": "2026-12-01",
                "shadow_until_1": "10:00",
            },
            "termina después de empezar",
        ),
    ],
)
@pytest.mark.parametrize("page", ["automation", "kind"])
def test_an_impossible_shadow_period_is_a_form_error_and_changes_nothing(
    admin_client, demo_flow, shadow, error, page
):
    from courseops.reviews.models import ReviewPolicy

    policy = demo_flow if page == "automation" else ReviewPolicy.objects.get(kind="demo_email")
    url = (
        change_url(policy)
        if page == "automation"
        else reverse("admin:reviews_reviewpolicy_change", args=[policy.pk])
    )

    response = admin_client.post(url, {**posted(PolicyMode.AUTO), **shadow})

    assert response.status_code == 200
    assert error in response.content.decode()
    policy.refresh_from_db()
    assert policy.shadow_from is None
    assert not AuditEntry.objects.filter(action__startswith="reviews.").exists()
