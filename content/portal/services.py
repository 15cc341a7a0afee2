"""What students do with published lessons; each action is announced to engagement
through the content signals (a view every time, completion once)."""

from django.db import transaction
from django.utils import timezone

from content.models import Lesson, LessonProgress, QuizAttempt
from content.services import generation
from content.signals import lesson_completed, lesson_viewed, lesson_watched, quiz_attempted
from students.portal.navigation import forget

# Share of right answers that completes a lesson.
PASS_RATIO = 0.7
# Shares of the video (%) announced to engagement, each once per student and lesson: the
# player reports every few seconds, engagement hears of real progress only.
WATCH_MILESTONES = (25, 50, 75, 90)
# Seeing this much of the video completes a lesson that has no quiz.
WATCHED_TO_COMPLETE = 90


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


def pass_mark(questions):
    """Right answers needed to pass a quiz of `questions` questions."""
    return next((n for n in range(questions + 1) if n / questions >= PASS_RATIO), 0)


def quiz_review(*, questions, attempt):
    """Each question of `attempt` (in the student's language version of the quiz, which
    keeps the original's order and right answers): what they chose, whether it was right,
    the right answer and why."""
    rows = []
    for index, question in enumerate(questions):
        options = question["options"]
        chosen = str(attempt.answers.get(str(index), ""))
        chosen = int(chosen) if chosen.isdigit() and int(chosen) < len(options) else None
        right = next(i for i, option in enumerate(options) if option["correct"] is True)
        rows.append(
            {
                "number": index + 1,
                "question": question["question"],
                "chosen": options[chosen]["text"] if chosen is not None else "",
                "right": options[right]["text"],
                "is_right": chosen == right,
                "explanation": question.get("explanation") or "",
            }
        )
    return rows


def record_view(*, student, lesson):
    now = timezone.now()
    progress, created = LessonProgress.objects.get_or_create(
        lesson=lesson, student=student, defaults={"first_viewed_at": now, "last_seen_at": now}
    )
    if created:
        forget(student)  # the menu's "new lessons" badge changed
    else:
        LessonProgress.objects.filter(pk=progress.pk).update(last_seen_at=now)
        progress.last_seen_at = now
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
        forget(student)
        transaction.on_commit(
            lambda: lesson_completed.send(sender=Lesson, lesson=lesson, student=student, at=at)
        )
    return bool(completed)


def record_playback(*, student, lesson, position, watched_percent):
    """Keep where the student is in the video and how much of it they saw. Reports repeat
    and may arrive out of order (a beacon sent on leaving the page after a later one): the
    position follows the last report, the watched share only goes up, and each milestone
    reached is announced once. Returns the progress row."""
    position = max(0, int(position))
    watched_percent = min(100, max(0, int(watched_percent)))
    now = timezone.now()
    with transaction.atomic():
        progress, _created = LessonProgress.objects.select_for_update().get_or_create(
            lesson=lesson, student=student, defaults={"first_viewed_at": now}
        )
        before = progress.watched_percent
        progress.position_seconds = position
        progress.watched_percent = max(before, watched_percent)
        progress.played_at = progress.last_seen_at = now
        progress.save(
            update_fields=["position_seconds", "watched_percent", "played_at", "last_seen_at"]
        )
        reached = [m for m in WATCH_MILESTONES if before < m <= progress.watched_percent]
        for milestone in reached:
            transaction.on_commit(
                lambda milestone=milestone: lesson_watched.send(
                    sender=Lesson, lesson=lesson, student=student, percent=milestone, at=now
                )
            )
        if progress.watched_percent >= WATCHED_TO_COMPLETE and not lesson.quiz.get("questions"):
            complete_lesson(student=student, lesson=lesson, at=now)
    return progress
