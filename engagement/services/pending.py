"""Nudge candidates for pending work: an assignment due within N days, or overdue.

One query per (rule, active assignment): the assignments are few, the students many, so
the scan's queries grow with neither. A due date is fixed, or N days after the student's
enrolment, which becomes a window on the enrolment date (`Coalesce(activated_at,
created_at)`). Each assignment is its own occurrence: reminded once per rule.
"""

from collections import Counter
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce

from engagement.models import Assignment, Nudge, NudgeRule, Submission


def due_window(assignment, *, now, within_days=None):
    """A Q on the students' `enrolled` date (None: nobody) selecting those for whom the
    assignment falls due within `within_days` from now, or, without it, is overdue."""
    due_soon = within_days is not None
    if assignment.due_at:
        if due_soon:
            matches = now <= assignment.due_at <= now + timedelta(days=within_days)
        else:
            matches = assignment.due_at < now
        return Q() if matches else None
    if assignment.due_days_after_enrolment is None:
        return None  # no due date: never due, never overdue
    offset = timedelta(days=assignment.due_days_after_enrolment)
    if due_soon:  # now <= enrolled + offset <= now + within_days
        horizon = now + timedelta(days=within_days)
        return Q(enrolled__gte=now - offset, enrolled__lte=horizon - offset)
    return Q(enrolled__lt=now - offset)


def not_handed_in(students, assignment, window):
    """Those of `students` in the window (on `enrolled`) without a submission."""
    matching = students.annotate(enrolled=Coalesce("activated_at", "created_at")).filter(
        window, ~Exists(Submission.objects.filter(assignment=assignment, student=OuterRef("pk")))
    )
    if assignment.plan_id:
        matching = matching.filter(plan_id=assignment.plan_id)
    return matching


def overdue_counts(students, *, now):
    """{student id: overdue assignments}: one query per active assignment."""
    counts = Counter()
    for assignment in Assignment.objects.filter(active=True):
        window = due_window(assignment, now=now)
        if window is not None:
            counts.update(not_handed_in(students, assignment, window).values_list("pk", flat=True))
    return counts


def pending_candidates(rule, students, *, now, language_facts):
    """(student row, occurrence, facts) for every student this rule reminds now.

    `students` is the rule's base query (eligible, audience, cooldown); `language_facts`
    builds the common facts from a row.
    """
    assignments = Assignment.objects.filter(active=True).select_related("plan")
    within = rule.threshold if rule.kind == NudgeRule.Kind.ASSIGNMENT_DUE else None
    for assignment in assignments:
        window = due_window(assignment, now=now, within_days=within)
        if window is None:
            continue
        occurrence = f"a{assignment.pk}"
        matching = not_handed_in(students, assignment, window).filter(
            ~Exists(Nudge.objects.filter(rule=rule, student=OuterRef("pk"), occurrence=occurrence))
        )
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
