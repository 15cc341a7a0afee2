"""What staff read before moving a rollout: an automation's shadow log for a period (what
it would have sent, beside what staff sent by hand) and, per arm, how its drafts fared.

"By hand" is what the system knows of: the messages of the automation's drafts that a
person approved. Both selectors run a fixed number of queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, F, Q
from django.db.models.functions import Cast

from courseops.messaging.models import OutboundMessage, Status
from courseops.reviews.models import Arm, Draft, DraftStatus

# What the provider took: sent, and whatever it reported after.
WENT_OUT = [Status.SENT, Status.DELIVERED, Status.BOUNCED, Status.COMPLAINED]
APPROVED = [DraftStatus.APPROVED, DraftStatus.APPLIED, DraftStatus.FAILED]
UNEDITED = Q(body=F("generated_body"), subject=F("generated_subject"))
PEOPLE_SHOWN = 100
# Rows of each list read to fill the people shown; the totals are counted, not read.
ROWS_READ = 1000


@dataclass
class PersonRow:
    person: str
    would_have_sent: list = field(default_factory=list)  # subjects, oldest first
    sent_by_hand: list = field(default_factory=list)


@dataclass
class ShadowLog:
    would_have_sent: int  # messages kept in shadow
    shadow_drafts: int  # drafts kept in shadow (never applied)
    sent_automatically: int
    sent_by_hand: int
    people: list  # PersonRow, side by side, the first PEOPLE_SHOWN people ([]: not asked)
    more_people: int


def _subject(row):
    return row["subject"] or row.get("text_body", "")[:80]


def shadow_log(*, automation, start, end, people=True) -> ShadowLog:
    """The automation's shadow log for [start, end): messages by when they were queued,
    drafts by when they were written, sends by when they left. `people=False` counts only
    (for staff who may not read who was written to, and what). A fixed number of queries,
    each bounded however long the period."""
    messages = OutboundMessage.objects.filter(automation=automation)
    shadowed = messages.filter(
        status=Status.SHADOWED, created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "pk")
    shadow_drafts = Draft.objects.filter(
        automation=automation,
        status=DraftStatus.SHADOW,
        created_at__gte=start,
        created_at__lt=end,
    ).order_by("created_at", "pk")
    went_out = messages.filter(status__in=WENT_OUT, sent_at__gte=start, sent_at__lt=end)
    decided_by_hand = (
        Draft.objects.filter(
            automation=automation, decided_automatically=False, decided_by__isnull=False
        )
        .annotate(key=Cast("pk", CharField()))
        .values("key")
    )
    by_hand = went_out.filter(
        content_type=ContentType.objects.get_for_model(Draft), object_id__in=decided_by_hand
    ).order_by("sent_at", "pk")
    log = ShadowLog(
        would_have_sent=shadowed.count(),
        shadow_drafts=shadow_drafts.count(),
        sent_automatically=0,
        sent_by_hand=by_hand.count(),
        people=[],
        more_people=0,
    )
    log.sent_automatically = went_out.count() - log.sent_by_hand
    if not people:
        return log

    rows = defaultdict(lambda: None)

    def person(row):
        rows[row["person_key"]] = rows[row["person_key"]] or PersonRow(person=row["person_key"])
        return rows[row["person_key"]]

    for row in [
        *shadowed.values("person_key", "subject", "text_body")[:ROWS_READ],
        *shadow_drafts.values("person_key", "subject")[:ROWS_READ],
    ]:
        person(row).would_have_sent.append(_subject(row))
    for row in by_hand.values("person_key", "subject", "text_body")[:ROWS_READ]:
        person(row).sent_by_hand.append(_subject(row))
    everyone = (
        shadowed.order_by()
        .values_list("person_key")
        .union(
            shadow_drafts.order_by().values_list("person_key"),
            by_hand.order_by().values_list("person_key"),
        )
        .count()
    )
    log.people = list(rows.values())[:PEOPLE_SHOWN]
    log.more_people = max(0, everyone - len(log.people))
    return log


@dataclass
class ArmFigures:
    arm: str
    drafts: int
    decided_by_staff: int
    approved_unedited: int
    approved_edited: int
    rejected: int
    automatic: int  # approved by the rollout itself

    @property
    def unedited_rate(self):
        """Share of staff decisions that approved the draft as written (None: none yet)."""
        if not self.decided_by_staff:
            return None
        return 100 * self.approved_unedited / self.decided_by_staff


def arm_figures(*, start, end, automation=None, kind=None) -> dict:
    """{arm: ArmFigures} of the drafts written in [start, end) for an automation and/or a
    kind: one grouped query."""
    drafts = Draft.objects.filter(created_at__gte=start, created_at__lt=end).exclude(arm="")
    if automation:
        drafts = drafts.filter(automation=automation)
    if kind:
        drafts = drafts.filter(kind=kind)
    by_staff = Q(decided_automatically=False, decided_at__isnull=False)
    approved = Q(status__in=APPROVED)
    rows = drafts.values("arm").annotate(
        drafts=Count("pk"),
        decided_by_staff=Count("pk", filter=by_staff & Q(status__in=[*APPROVED, "rejected"])),
        approved_unedited=Count("pk", filter=by_staff & approved & UNEDITED),
        approved_edited=Count("pk", filter=by_staff & approved & ~UNEDITED),
        rejected=Count("pk", filter=Q(status=DraftStatus.REJECTED)),
        automatic=Count("pk", filter=Q(decided_automatically=True)),
    )
    figures = {row["arm"]: ArmFigures(**row) for row in rows}
    return {arm: figures[arm] for arm in Arm.values if arm in figures}
