from celery import shared_task

from surveys import sending


@shared_task(name="surveys.send_due", ignore_result=True)
def send_due():
    """Webinar satisfaction after the follow-up, NPS at day 30 and at the course's end,
    lesson surveys whose task was lost."""
    sending.send_webinar_surveys()
    sending.send_nps_day_30()
    sending.send_nps_course_end()
    sending.send_lesson_surveys()


@shared_task(name="surveys.send_lesson_survey", ignore_result=True)
def send_lesson_survey(lesson_id, student_id):
    from content.models import Lesson
    from students.models import Student

    lesson = Lesson.objects.filter(pk=lesson_id).first()
    student = Student.objects.filter(pk=student_id).first()
    if lesson and student:
        sending.send_lesson_survey(lesson=lesson, student=student)
