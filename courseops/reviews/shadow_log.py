"""What staff read before moving a rollout: an automation's shadow log for a period (what
it would have sent, beside what staff sent by hand) and, per arm, how its drafts fared.

"By hand" is what the system knows of: the messages of the automation's drafts that a
person approved. Both selectors run a fixed number of queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Q

from courseops.messaging.models import OutboundMessage, Status
from courseops.reviews.models import Arm, Draft, DraftStatus

# What the provider took: sent, and whatever it reported after.
WENT_OUT = [Status.SENT, Status.DELIVERED, Status.BOUNCED, Status.COMPLAINED]
APPROVED = [DraftStatus.APPROVED, DraftStatus.APPLIED, DraftStatus.FAILED]
UNEDITED = Q(body=F("generated_body"), subject=F("generated_subject"))
PEOPLE_SHOWN = 100


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
    people: list  # PersonRow, side by side, the first PEOPLE_SHOWN people
    more_people: int


def _subject(row):
    return row["subject"] or row["text_body"][:80]


def shadow_log(*, automation, start, end) -> ShadowLog:
    """The automation's shadow log for [start, end): messages by when they were queued,
    drafts by when they were written, sends by when they left."""
    messages = OutboundMessage.objects.filter(automation=automation)
    shadowed = list(
        messages.filter(status=Status.SHADOWED, created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "pk")
        .values("person_key", "subject", "text_body")
    )
    shadow_drafts = list(
        Draft.objects.filter(
            automation=automation,
            status=DraftStatus.SHADOW,
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by("created_at", "pk")
        .values("person_key", "subject")
    )
    went_out = list(
        messages.filter(status__in=WENT_OUT, sent_at__gte=start, sent_at__lt=end).values(
            "person_key", "subject", "text_body", "content_type_id", "object_id"
        )
    )
    draft_type = ContentType.objects.get_for_model(Draft).pk
    from_drafts = {row["object_id"] for row in went_out if row["content_type_id"] == draft_type}
    decided_by_hand = {
        str(pk)
        for pk in Draft.objects.filter(
            pk__in=[int(pk) for pk in from_drafts if pk.isdigit()],
            decided_automatically=False,
            decided_by__isnull=False,
        ).values_list("pk", flat=True)
    }
    by_hand = [
        row
        for row in went_out
        if row["content_type_id"] == draft_type and row["object_id"] in decided_by_hand
    ]

    people = defaultdict(lambda: None)
    for row in [*shadowed, *shadow_drafts]:
        person = people[row["person_key"]] or PersonRow(person=row["person_key"])
        people[row["person_key"]] = person
        person.would_have_sent.append(row["subject"] or row.get("text_body", "")[:80])
    for row in by_hand:
        person = people[row["person_key"]] or PersonRow(person=row["person_key"])
        people[row["person_key"]] = person
        person.sent_by_hand.append(_subject(row))
    rows = list(people.values())
    return ShadowLog(
        would_have_sent=len(shadowed),
        shadow_drafts=len(shadow_drafts),
        sent_automatically=len(went_out) - len(by_hand),
        sent_by_hand=len(by_hand),
        people=rows[:PEOPLE_SHOWN],
        more_people=max(0, len(rows) - PEOPLE_SHOWN),
    )


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
