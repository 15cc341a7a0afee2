"""Thin tasks: ids in, one service call. Retries live in the job's rows (the sweeper
re-enqueues a failed transient step), not in the broker."""

from celery import shared_task

from content.services import pipeline, publishing


@shared_task(name="content.run_job", ignore_result=True)
def run_content_job(job_id):
    pipeline.run_job(job_id=job_id)


@shared_task(name="content.sweep_jobs", ignore_result=True)
def sweep_content_jobs():
    pipeline.sweep_jobs()


@shared_task(name="content.announce_lessons", ignore_result=True)
def announce_lessons():
    publishing.announce_due()


@shared_task(name="content.scan_folder", ignore_result=True)
def scan_content_folder():
    from django.conf import settings

    from content.intake import scan_folder

    if settings.CONTENT_WATCH_DIR:
        scan_folder(settings.CONTENT_WATCH_DIR)


@shared_task(name="content.build_lesson_pdfs", ignore_result=True)
def build_lesson_pdfs(lesson_id):
    from content.models import Lesson
    from content.services.documents import build_lesson_pdfs as build

    lesson = Lesson.objects.select_related("course").filter(pk=lesson_id).first()
    if lesson is not None:
        build(lesson=lesson)


@shared_task(name="content.rebuild_stale_pdfs", ignore_result=True)
def rebuild_stale_pdfs():
    from content.services.documents import rebuild_stale_pdfs as sweep

    sweep()


@shared_task(name="content.scan_cloud_folders", ignore_result=True)
def scan_cloud_folders():
    from content.services import cloud_intake

    cloud_intake.scan_all()


@shared_task(name="content.scan_cloud_folder", ignore_result=True)
def scan_cloud_folder(folder_id):
    from content.models import RemoteFolder
    from content.services import cloud_intake

    folder = RemoteFolder.objects.filter(pk=folder_id, active=True).select_related("course").first()
    if folder is not None:
        cloud_intake.scan_folder(folder=folder)
