"""The student page: one admin page with everything about one student, section by section.

Students is the bottom floor, so it cannot read the apps above it; each app adds its own
sections here (`register_section` in its AppConfig.ready), as it adds portal pages. Every
section costs a fixed number of queries whatever the student's history (newest rows, at
most `ROWS` each), so the page costs the same for a new student and a veteran.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courseops.core.display import money
from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.support.models import Ticket
from students.models import OnboardingStep, Student

# Newest rows shown per section.
ROWS = 20


@dataclass
class Section:
    title: str
    headers: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    # (label, value) pairs shown above the table: a state at a glance.
    facts: list = field(default_factory=list)
    empty: str = gettext_lazy("Nada todavía.")
    # Where the full list is, when there may be more than ROWS.
    more_url: str = ""

    @property
    def table(self):
        return {"headers": self.headers, "rows": self.rows}


_sections = []


def register_section(order, build):
    """`build(student)` -> Section or None; sections show in `order` (10, 20...)."""
    _sections.append((order, build))
    _sections.sort(key=lambda item: item[0])


def student_sections(student):
    return [s for s in (build(student) for _order, build in _sections) if s is not None]


def when(moment):
    if not moment:
        return "—"
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def link(url, text):
    return format_html('<a class="text-primary-600 underline" href="{}">{}</a>', url, text)


def _about(model, student):
    content_type = ContentType.objects.get_for_model(Student)
    return model.objects.filter(content_type=content_type, object_id=str(student.pk))


def _plan_and_billing(student):
    subscriptions = list(student.subscriptions.select_related("plan").order_by("-created_at"))
    plan = student.plan
    return Section(
        title=_("Plan y pagos"),
        facts=[
            (_("Plan"), f"{plan.name} · {money(plan.price, plan.currency)}"),
            (_("Estado"), student.get_status_display()),
            (_("Activo desde"), when(student.activated_at)),
            (_("Cliente en Stripe"), student.stripe_customer_id or _("sin cliente en Stripe")),
        ],
        headers=[_("Suscripción"), _("Estado en Stripe"), _("Fin del periodo"), _("Terminó")],
        rows=[
            [
                s.plan.name,
                f"{s.status_label} · {_('cancela al final del periodo')}"
                if s.cancel_at_period_end
                else s.status_label,
                when(s.current_period_end),
                when(s.ended_at),
            ]
            for s in subscriptions
        ],
        empty=_("Sin suscripciones en Stripe."),
    )


def _onboarding(student):
    steps = {s.name: s for s in student.onboarding_steps.all()}
    rows = []
    for name in OnboardingStep.ORDER:
        step = steps.get(name)
        rows.append(
            [
                OnboardingStep.Name(name).label,
                step.get_status_display() if step else _("No empezado"),
                step.attempts if step else 0,
                when(step.finished_at) if step else "—",
                (step.error[:120] if step else "") or "—",
            ]
        )
    return Section(
        title=_("Alta"),
        headers=[_("Paso"), _("Estado"), _("Intentos"), _("Terminado"), _("Error")],
        rows=rows,
    )


def _messages(student):
    # Messages to the student's address, and those sent from drafts about the student
    # (generic keys are text: compared as text, PostgreSQL does not mix text and integer).
    drafts = _about(Draft, student).values_list("pk", flat=True)
    draft_type = ContentType.objects.get_for_model(Draft)
    rows = OutboundMessage.objects.filter(
        Q(recipient__iexact=student.email)
        | Q(content_type=draft_type, object_id__in=[str(pk) for pk in drafts])
    ).order_by("-created_at")[:ROWS]
    return Section(
        title=_("Mensajes y entrega"),
        headers=[_("Mensaje"), _("Canal"), _("Entrega"), _("Creado"), _("Enviado")],
        rows=[
            [
                link(
                    reverse("admin:messaging_outboundmessage_change", args=[m.pk]),
                    m.subject or m.text_body[:60] or "—",
                ),
                m.get_channel_display(),
                m.get_status_display(),
                when(m.created_at),
                when(m.sent_at),
            ]
            for m in rows
        ],
        empty=_("Ningún mensaje."),
        more_url=reverse("admin:messaging_outboundmessage_changelist") + f"?q={student.email}",
    )


def _tickets(student):
    rows = _about(Ticket, student).select_related("assignee").order_by("-created_at")[:ROWS]
    return Section(
        title=_("Tickets"),
        headers=[_("Ticket"), _("Estado"), _("Asignado a"), _("Vence")],
        rows=[
            [
                link(reverse("admin:support_ticket_change", args=[t.pk]), t.subject),
                t.get_status_display(),
                str(t.assignee or "—"),
                when(t.due_at),
            ]
            for t in rows
        ],
        empty=_("Ningún ticket."),
    )


register_section(10, _plan_and_billing)
register_section(20, _onboarding)
register_section(60, _messages)
register_section(70, _tickets)
