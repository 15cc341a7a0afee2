"""Queues by urgency: which Celery queue each task goes to, decided in code.

- `critical`: what a person is waiting for now: portal sign-in links and other
  transactional email, webinar reminders within 2 hours, webhook events.
- `default`: everything not listed below (sweepers, pipelines' small steps, alerts).
- `bulk`: many messages at once: campaigns, sequences, digests, marketing and engagement
  email, nudges, surveys.
- `media`: video, audio, transcription, PDFs (minutes each).
- `ai`: AI drafts (seconds each, rate-limited by the provider).

With no `-Q`, a worker consumes every queue. Each group gets its own workers, in production
(docs/deploy.md) as in `make run` (Procfile.dev: critical+default, bulk, media+ai), so a
100,000-person newsletter or an hour of transcription never delays a sign-in link: with
one worker for all, a campaign batch held a pool process for 44 s (`python -m bench
urgency`, bench/README.md).
"""

from kombu import Queue

CRITICAL, DEFAULT, BULK, MEDIA, AI = "critical", "default", "bulk", "media", "ai"
QUEUES = (CRITICAL, DEFAULT, BULK, MEDIA, AI)

ROUTES = {
    # critical
    "webhooks.process_event": CRITICAL,
    "webhooks.dispatch": CRITICAL,
    "webinars.confirm_registration": CRITICAL,
    "marketing.send_consent_confirmation": CRITICAL,
    # default, named so it stays there: a slow integrator never delays a sign-in link
    "outbound.send_delivery": DEFAULT,
    "outbound.sweep": DEFAULT,
    # bulk
    "marketing.run_campaigns": BULK,
    "marketing.run_sequences": BULK,
    "marketing.sync_blog_post": BULK,
    "marketing.retry_blog_posts": BULK,
    "engagement.weekly_progress_emails": BULK,
    "engagement.weekly_report": BULK,
    "engagement.scan_nudges": BULK,
    "engagement.scan_drip": BULK,
    "surveys.send_due": BULK,
    "surveys.send_lesson_survey": BULK,
    # media
    "content.run_job": MEDIA,
    "content.scan_folder": MEDIA,
    "content.build_lesson_pdfs": MEDIA,
    "content.rebuild_stale_pdfs": MEDIA,
    "content.scan_cloud_folders": MEDIA,
    "content.scan_cloud_folder": MEDIA,
    "webinars.process_recording": MEDIA,
    # ai
    "engagement.draft_nudges": AI,
    "engagement.draft_drip_messages": AI,
    "engagement.suggest_interventions": AI,
    "engagement.answer_question": AI,
    "engagement.draft_assignment_feedback": AI,
    "marketing.personalise_sequence_step": AI,
    "marketing.draft_weekly_insights": AI,
    "marketing.draft_lesson_social_posts": AI,
    "webinars.draft_reminder_text": AI,
    "webinars.draft_social_posts": AI,
}

# Reminders due this close to the start go to `critical`; earlier ones can wait a little.
CRITICAL_REMINDER_WITHIN_SECONDS = 2 * 3600

# Outbox messages by kind (category): queue and priority (0 highest .. 9 lowest).
OUTBOX_BY_CATEGORY = {
    "transactional": (CRITICAL, 0),
    "billing": (CRITICAL, 2),
    "engagement": (BULK, 6),
    "marketing": (BULK, 8),
}


def task_queues():
    return tuple(Queue(name, routing_key=name) for name in QUEUES)


def task_routes():
    return {name: {"queue": queue, "routing_key": queue} for name, queue in ROUTES.items()}


def outbox_send_options(category):
    queue, priority = OUTBOX_BY_CATEGORY.get(category, (DEFAULT, 5))
    return {"queue": queue, "routing_key": queue, "priority": priority}


def reminder_send_options(offset_seconds):
    queue = CRITICAL if offset_seconds <= CRITICAL_REMINDER_WITHIN_SECONDS else DEFAULT
    return {"queue": queue, "routing_key": queue}
