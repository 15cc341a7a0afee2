from celery import shared_task

from students.onboarding import pipeline


@shared_task(name="students.run_onboarding", ignore_result=True)
def run_onboarding(student_id):
    pipeline.run_onboarding(student_id=student_id)


@shared_task(name="students.sweep_onboarding", ignore_result=True)
def sweep_onboarding():
    pipeline.sweep_onboarding()
