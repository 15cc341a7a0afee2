"""What content holds about a person: lesson progress and quiz attempts (exported; they
carry no identifying text, so erasure leaves them as anonymous figures)."""

from content.models import LessonProgress, QuizAttempt
from courseops.operations.privacy.registry import PrivacyPart, register_part


class ContentPart(PrivacyPart):
    name = "content"

    def export(self, person):
        students = {"student__email__iexact": person.email}
        return {
            "lesson_progress": list(
                LessonProgress.objects.filter(**students).values(
                    "lesson__title", "first_viewed_at", "completed_at"
                )
            ),
            "quiz_attempts": list(
                QuizAttempt.objects.filter(**students).values(
                    "lesson__title", "answers", "score", "max_score", "created_at"
                )
            ),
        }


register_part(ContentPart())
