"""What students do with published lessons; each action is announced to engagement
through the content signals (a view every time, completion once)."""

from django.db import transaction
from django.utils import timezone

from content.models import Lesson, LessonProgress, QuizAttempt
from content.services import generation
from content.signals import lesson_completed, lesson_viewed, quiz_attempted

# Share of right answers that completes a lesson.
PASS_RATIO = 0.7


def student_lessons(student):
    """The published lessons of the courses the student's plan includes."""
    return (
        Lesson.objects.filter(course__plans__students=student, published_at__isnull=False)
        .select_related("course")
        .defer("transcript", "materials", "quiz", "translations")
        .order_by("course__title", "order", "pk")
        .distinct()
    )


def lesson_for(student, pk):
    """The lesson if this student may see it, else None."""
    return (
        Lesson.objects.filter(pk=pk, course__plans__students=student, published_at__isnull=False)
        .select_related("course")
        .first()
    )


def version_for(lesson, language):
    """The lesson's title, materials and quiz in `language` when an approved translation
    exists, else in the lesson's own language. Answers are scored the same in both: a
    translation keeps the original's questions, options and right answers in order."""
    translation = lesson.translations.get(language) if language != lesson.language else None
    if translation and translation.get("materials"):
        return translation
    return {"title": lesson.title, "materials": lesson.materials, "quiz": lesson.quiz}


def pdf_languages(lesson):
    """{language: stored PDF name} for the lesson and its translations."""
    names = {lesson.language: lesson.pdf.name} if lesson.pdf else {}
    for language, translation in lesson.translations.items():
        if translation.get("pdf"):
            names[language] = translation["pdf"]
    return names


def record_view(*, student, lesson):
    now = timezone.now()
    progress, _created = LessonProgress.objects.get_or_create(
        lesson=lesson, student=student, defaults={"first_viewed_at": now}
    )
    lesson_viewed.send(sender=Lesson, lesson=lesson, student=student, at=now)
    return progress


def submit_quiz(*, student, lesson, answers):
    """Score and keep an attempt; passing completes the lesson (announced once)."""
    score, max_score = generation.score_quiz(lesson.quiz, answers)
    now = timezone.now()
    with transaction.atomic():
        attempt = QuizAttempt.objects.create(
            lesson=lesson,
            student=student,
            answers=answers,
            score=score,
            max_score=max_score,
            created_at=now,
        )
        transaction.on_commit(
            lambda: quiz_attempted.send(
                sender=Lesson,
                attempt=attempt,
                lesson=lesson,
                student=student,
                score=score,
                max_score=max_score,
                at=now,
            )
        )
        if max_score and score / max_score >= PASS_RATIO:
            complete_lesson(student=student, lesson=lesson, at=now)
    return attempt


def complete_lesson(*, student, lesson, at=None):
    at = at or timezone.now()
    LessonProgress.objects.get_or_create(
        lesson=lesson, student=student, defaults={"first_viewed_at": at}
    )
    completed = LessonProgress.objects.filter(
        lesson=lesson, student=student, completed_at__isnull=True
    ).update(completed_at=at)
    if completed:
        transaction.on_commit(
            lambda: lesson_completed.send(sender=Lesson, lesson=lesson, student=student, at=at)
        )
    return bool(completed)
