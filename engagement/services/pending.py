"""Nudge candidates for pending work: an assignment due within N days, or overdue.

One query per (rule, active assignment): the assignments are few, the students many, so
the scan's queries grow with neither. A due date is fixed, or N days after the student's
enrolment, which becomes a window on the enrolment date (`Coalesce(activated_at,
created_at)`). Each assignment is its own occurrence: reminded once per rule.
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce

from engagement.models import Assignment, Nudge, NudgeRule, Submission


def _due_window(assignment, rule, now):
    """A Q on the student's `enrolled` date (or nothing) for this rule and assignment."""
    due_soon = rule.kind == NudgeRule.Kind.ASSIGNMENT_DUE
    horizon = now + timedelta(days=rule.threshold)
    if assignment.due_at:
        matches = now <= assignment.due_at <= horizon if due_soon else assignment.due_at < now
        return Q() if matches else None
    if assignment.due_days_after_enrolment is None:
        return None  # no due date: never due, never overdue
    offset = timedelta(days=assignment.due_days_after_enrolment)
    if due_soon:  # now <= enrolled + offset <= horizon
        return Q(enrolled__gte=now - offset, enrolled__lte=horizon - offset)
    return Q(enrolled__lt=now - offset)


def pending_candidates(rule, students, *, now, language_facts):
    """(student row, occurrence, facts) for every student this rule reminds now.

    `students` is the rule's base query (eligible, audience, cooldown); `language_facts`
    builds the common facts from a row.
    """
    assignments = Assignment.objects.filter(active=True).select_related("plan")
    for assignment in assignments:
        window = _due_window(assignment, rule, now)
        if window is None:
            continue
        occurrence = f"a{assignment.pk}"
        matching = students.annotate(enrolled=Coalesce("activated_at", "created_at")).filter(
            window,
            ~Exists(Submission.objects.filter(assignment=assignment, student=OuterRef("pk"))),
            ~Exists(Nudge.objects.filter(rule=rule, student=OuterRef("pk"), occurrence=occurrence)),
        )
        if assignment.plan_id:
            matching = matching.filter(plan_id=assignment.plan_id)
        for row in (
            matching.values("pk", "email", "language", "enrolled")
            .order_by()
            .iterator(chunk_size=2000)
        ):
            due = assignment.due_for_enrolment(row["enrolled"])
            facts = {
                **language_facts(row),
                "rule": rule.kind,
                "assignment": assignment.title,
                "days_left": max(0, (due - now).days),
                "days_late": max(0, (now - due).days),
            }
            yield row, occurrence, facts
