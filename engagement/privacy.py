"""What engagement holds about a person: activity, nudges, interventions, the onboarding
drip's sends, submissions (with their files), questions and certificates."""

from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat, Lower

from courseops.operations.privacy.redact import ERASED, mentions, scrub
from courseops.operations.privacy.registry import (
    ERASED_NAME,
    PrivacyPart,
    erased_email,
    register_part,
)
from engagement.models import (
    ActivityEvent,
    Certificate,
    DripSend,
    Intervention,
    Nudge,
    Question,
    Submission,
)
from students.models import Student

# Free text and stored facts are the person's; the rows stay as anonymous figures.
PER_STUDENT = {
    "activity": (ActivityEvent, (), ("metadata",)),
    "nudges": (Nudge, ("skipped_reason",), ("facts",)),
    "interventions": (Intervention, ("reasons",), ()),
    "drip_sends": (DripSend, ("skipped_reason",), ()),
}


class EngagementPart(PrivacyPart):
    name = "engagement"

    def _students(self, person):
        """The person's students as identified before anything was erased: the students
        part anonymises their email first, so a search by email would find none."""
        known = [obj.pk for obj in person.objects if isinstance(obj, Student)]
        if known:
            return Student.objects.filter(pk__in=known)
        # lower(email), as students' unique index has it: found through the index.
        return Student.objects.alias(email_ci=Lower("email")).filter(email_ci=person.email)

    def _questions(self, person):
        return Question.objects.filter(
            # The students' ids as values: each side of the OR then has its index.
            Q(email__iexact=person.email)
            | Q(student__in=list(self._students(person).values_list("pk", flat=True)))
        )

    def identify(self, person):
        person.objects.extend(self._questions(person))

    def export(self, person):
        mine = {"student__in": self._students(person)}
        data = {
            table: list(model.objects.filter(**mine).values())
            for table, (model, _text, _json) in PER_STUDENT.items()
        }
        data["submissions"] = list(Submission.objects.filter(**mine).values())
        data["questions"] = list(self._questions(person).values())
        data["certificates"] = list(Certificate.objects.filter(**mine).values())
        return data

    def erase(self, person):
        mine = {"student__in": self._students(person)}
        touched = {
            table: scrub(
                model.objects.filter(**mine),
                person,
                text_fields=text,
                json_fields=json,
                extra=Q(pk__isnull=False),
            )
            for table, (model, text, json) in PER_STUDENT.items()
        }
        # Senders' ids may be built from the email ("demo:<email>:3"): each such id becomes
        # unique to its row, since (source, external_id) is unique.
        activity = ActivityEvent.objects.filter(**mine).filter(mentions(("external_id",), person))
        touched["activity_ids"] = activity.update(
            external_id=Concat(Value("borrado:"), Cast("pk", CharField()))
        )
        submissions = list(Submission.objects.filter(**mine))
        for submission in submissions:
            if submission.file:
                submission.file.delete(save=False)
            submission.text = ERASED if submission.text else ""
            submission.feedback = ""
        Submission.objects.bulk_update(submissions, ["file", "text", "feedback"])
        questions = list(self._questions(person))
        for question in questions:
            question.email = erased_email("pregunta", question.pk)
            question.text = ERASED
            question.message_id = ""
        Question.objects.bulk_update(questions, ["email", "text", "message_id"])
        certificates = list(Certificate.objects.filter(**mine))
        for certificate in certificates:
            if certificate.pdf:
                certificate.pdf.delete(save=False)
            certificate.full_name = ERASED_NAME
        Certificate.objects.bulk_update(certificates, ["pdf", "full_name"])
        return touched | {
            "submissions": len(submissions),
            "questions": len(questions),
            "certificates": len(certificates),
        }


register_part(EngagementPart())
