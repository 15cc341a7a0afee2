"""Survey answers are the person's: exported, and on erasure kept as anonymous scores."""

from courseops.operations.privacy.registry import PrivacyPart, register_part
from surveys.models import Answer


class SurveysPart(PrivacyPart):
    name = "surveys"

    def export(self, person):
        answers = Answer.objects.filter(respondent=person.email)
        return {
            "answers": list(
                answers.values("survey__kind", "score", "comment", "answered_at", "updated_at")
            )
        }

    def erase(self, person):
        # The respondent key stays unique per survey with the row's own id.
        answers = list(Answer.objects.filter(respondent=person.email))
        for answer in answers:
            answer.respondent = f"borrado-{answer.pk}"
            answer.comment = ""
            answer.student = None
        Answer.objects.bulk_update(answers, ["respondent", "comment", "student"])
        return {"answers": len(answers)}


register_part(SurveysPart())
