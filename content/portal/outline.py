"""A student's courses as an outline: each published lesson with its status (hecha, en
curso, siguiente), the course's progress, and where to continue. The lessons page, the
lesson page, the home and the progress page all read these numbers from here, so they
agree: a course's progress is its published lessons done in this portal."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from content.models import LessonProgress
from content.portal.services import student_lessons
from courseops.core.display import percent_value

DONE, IN_PROGRESS, TODO = "done", "in_progress", "todo"
STATUS_LABELS = {DONE: _("Hecha"), IN_PROGRESS: _("En curso"), TODO: _("Pendiente")}


@dataclass
class OutlineLesson:
    lesson: object
    progress: LessonProgress | None
    status: str
    is_next: bool = False

    @property
    def label(self):
        if self.status == TODO and self.is_next:
            return _("Siguiente")
        return STATUS_LABELS[self.status]


@dataclass
class CourseOutline:
    course: object
    lessons: list = field(default_factory=list)

    @property
    def total(self):
        return len(self.lessons)

    @property
    def done(self):
        return sum(1 for item in self.lessons if item.status == DONE)

    @property
    def percent(self):
        return percent_value(self.done, self.total) if self.total else 0

    @property
    def next(self):
        return next((item for item in self.lessons if item.is_next), None)


def _status(progress):
    if progress is None:
        return TODO
    return DONE if progress.completed_at else IN_PROGRESS


def course_outlines(student):
    """The student's courses in title order, each with its published lessons in order:
    two queries whatever the number of lessons."""
    lessons = list(student_lessons(student))
    progress = {
        p.lesson_id: p
        for p in LessonProgress.objects.filter(
            student=student, lesson_id__in=[lesson.pk for lesson in lessons]
        )
    }
    outlines = {}
    for lesson in lessons:
        outline = outlines.setdefault(lesson.course_id, CourseOutline(lesson.course))
        mine = progress.get(lesson.pk)
        outline.lessons.append(OutlineLesson(lesson, mine, _status(mine)))
    for outline in outlines.values():
        first_open = next((item for item in outline.lessons if item.status != DONE), None)
        if first_open:
            first_open.is_next = True
    return list(outlines.values())


def outline_of(student, lesson):
    """The outline of `lesson`'s course, and the lesson's place in it (1-based)."""
    for outline in course_outlines(student):
        for number, item in enumerate(outline.lessons, start=1):
            if item.lesson.pk == lesson.pk:
                return outline, number
    return None, None


def where_to_continue(outlines):
    """The lesson to go back to: the one in progress the student touched last, else the
    next lesson of the first course not finished; None when everything is done."""
    started = [
        item for outline in outlines for item in outline.lessons if item.status == IN_PROGRESS
    ]
    if started:
        return max(
            started, key=lambda item: item.progress.last_seen_at or item.progress.first_viewed_at
        )
    return next((outline.next for outline in outlines if outline.next), None)
