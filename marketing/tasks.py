"""Thin tasks: ids in, one service call."""

from celery import shared_task

from marketing.models import Lead
from marketing.services.consent import send_confirmation


@shared_task(name="marketing.send_consent_confirmation", ignore_result=True)
def send_consent_confirmation(lead_id):
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is not None:
        send_confirmation(lead=lead)


@shared_task(name="marketing.run_campaigns", ignore_result=True)
def run_campaigns():
    from marketing.services.campaigns import run_campaigns as run

    run()


@shared_task(name="marketing.run_sequences", ignore_result=True)
def run_sequences():
    from marketing.services.sequences import run_sequences as run

    run()


@shared_task(name="marketing.personalise_sequence_step", ignore_result=True)
def personalise_sequence_step(enrolment_id, step_id):
    from marketing.models import Enrolment, Step
    from marketing.services.sequences import personalise

    enrolment = Enrolment.objects.select_related("lead").filter(pk=enrolment_id).first()
    step = Step.objects.filter(pk=step_id).first()
    if enrolment is not None and step is not None:
        personalise(enrolment=enrolment, step=step)


@shared_task(name="marketing.run_social_posts", ignore_result=True)
def run_social_posts():
    from marketing.social.publishing import publish_due
    from marketing.social.schedule import schedule_approved_drafts

    schedule_approved_drafts()
    publish_due()


@shared_task(name="marketing.publish_social_post", ignore_result=True)
def publish_social_post(post_id):
    from marketing.social.publishing import publish_post

    publish_post(post_id=post_id)


@shared_task(name="marketing.record_offer_redemptions", ignore_result=True)
def record_offer_redemptions():
    from marketing.offers.services import record_redemptions

    record_redemptions()


@shared_task(name="marketing.draft_weekly_insights", ignore_result=True)
def draft_weekly_insights():
    from marketing.funnel.insights import draft_weekly_insights as draft

    draft()


@shared_task(name="marketing.sync_ad_audiences", ignore_result=True)
def sync_ad_audiences():
    from marketing.audiences.services import sync_all

    sync_all()


@shared_task(bind=True, name="marketing.draft_lesson_social_posts", ignore_result=True)
def draft_lesson_social_posts(self, lesson_id):
    from courseops.ai import AIError
    from marketing.social.lessons import draft_lesson_by_id

    try:
        draft_lesson_by_id(lesson_id)
    except AIError as exc:
        if getattr(exc, "permanent", True) or self.request.retries >= 3:
            raise
        raise self.retry(exc=exc, countdown=getattr(exc, "retry_after", None) or 300) from exc


@shared_task(name="marketing.draft_missed_lesson_social_posts", ignore_result=True)
def draft_missed_lesson_social_posts():
    from marketing.social.lessons import draft_missed_lessons

    draft_missed_lessons()


@shared_task(name="marketing.send_due_consent_confirmations", ignore_result=True)
def send_due_consent_confirmations():
    from marketing.services.consent import send_due_confirmations

    send_due_confirmations()


@shared_task(name="marketing.refresh_social_tokens", ignore_result=True)
def refresh_social_tokens():
    from marketing.social.tokens import refresh_meta_tokens

    refresh_meta_tokens()


@shared_task(name="marketing.sync_hubspot", ignore_result=True)
def sync_hubspot(row_id):
    from marketing.crm.services import sync_row

    sync_row(pk=row_id)


@shared_task(name="marketing.sync_hubspot_due", ignore_result=True)
def sync_hubspot_due():
    from marketing.crm.services import sync_due

    sync_due()


@shared_task(name="marketing.send_ga4_conversion", ignore_result=True)
def send_ga4_conversion(conversion_id):
    from marketing.analytics.services import send_conversion

    send_conversion(pk=conversion_id)


@shared_task(name="marketing.send_ga4_due", ignore_result=True)
def send_ga4_due():
    from marketing.analytics.services import send_due

    send_due()


@shared_task(name="marketing.sync_blog_post", ignore_result=True)
def sync_blog_post(lesson_id):
    from content.models import Lesson
    from marketing.blog import wordpress

    lesson = Lesson.objects.filter(pk=lesson_id).select_related("course").first()
    if lesson is not None:
        wordpress.sync_post(lesson=lesson)


@shared_task(name="marketing.retry_blog_posts", ignore_result=True)
def retry_blog_posts():
    from marketing.blog import wordpress

    wordpress.retry_due()
