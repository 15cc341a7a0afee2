"""Nothing enqueued on commit is lost for good: every `transaction.on_commit(...)` whose
callback enqueues a Celery task (`.delay`/`.apply_async`, directly or through a function
of the same module) is listed here with what finds the work again when the message is
lost (the broker down, a worker killed). A new enqueue site fails this test until its
recovery is declared below (and in docs/operations.md, "Lost messages").

What a declaration names must exist: the sweeper's task is a declared periodic task, or
the mark a field of the model. How each recovers is tested where the work lives (the
broker down, then the sweeper: tests named `..._while_the_broker_is_down_...`)."""

import ast
import pathlib

from django.apps import apps

from courseops.core.schedules import declared

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ("courseops", "content", "engagement", "marketing", "students", "surveys", "webinars")
ENQUEUE = {"delay", "apply_async"}


def mark(model, field, sweeper):
    """Work owed on a row (courseops.core.pending): `field` set in the change's
    transaction, cleared by the work, swept by the periodic task `sweeper`."""
    return ("mark", model, field, sweeper)


def scan(sweeper, why):
    """The work has its own row (or state) that the periodic task `sweeper` finds again."""
    return ("scan", sweeper, why)


# (module, the task's name as the module calls it) -> how a lost message is recovered.
RECOVERY = {
    ("courseops/messaging/services/outbox.py", "send_message"): scan(
        "messaging.sweep_outbox", "the outbox row (queued / awaiting_retry)"
    ),
    ("courseops/messaging/services/outbox.py", "send_messages"): scan(
        "messaging.sweep_outbox", "the outbox rows (queued)"
    ),
    ("courseops/operations/alerts/services.py", "notify_incident"): mark(
        "operations.Incident", "notify_due_since", "operations.notify_due_incidents"
    ),
    ("courseops/operations/kpis/snapshot.py", "refresh_kpis"): scan(
        "operations.refresh_kpis", "the standard periods every 5 minutes; a visit asks again"
    ),
    ("courseops/outbound/services/announce.py", "send_delivery"): scan(
        "outbound.sweep", "the delivery rows"
    ),
    ("courseops/outbound/services/delivery.py", "send_delivery"): scan(
        "outbound.sweep", "the delivery rows"
    ),
    ("courseops/reviews/services.py", "apply_draft_task"): scan(
        "reviews.requeue_stale_drafts", "approved drafts not applied after the lease"
    ),
    ("courseops/webhooks/services.py", "process_webhook_event"): scan(
        "webhooks.sweep", "the inbox event rows"
    ),
    ("courseops/webhooks/services.py", "dispatch_webhook_events"): scan(
        "webhooks.sweep", "the inbox event rows"
    ),
    ("content/admin.py", "scan_cloud_folder"): scan(
        "content.scan_cloud_folders", "every active folder is scanned periodically"
    ),
    ("content/reviews.py", "build_lesson_pdfs"): mark(
        "content.Lesson", "pdf_stale_since", "content.rebuild_stale_pdfs"
    ),
    ("content/services/pipeline.py", "run_content_job"): scan(
        "content.sweep_jobs", "the job and its steps"
    ),
    ("engagement/drip/services.py", "draft_drip_messages"): scan(
        "engagement.scan_drip", "claimed drip sends older than the stale claim"
    ),
    ("engagement/services/nudges.py", "draft_nudges"): scan(
        "engagement.scan_nudges", "claimed nudges older than the stale claim"
    ),
    ("engagement/services/owed.py", "task"): (
        mark("engagement.Submission", "feedback_due_since", "engagement.enqueue_owed_work"),
        mark("engagement.Question", "answer_due_since", "engagement.enqueue_owed_work"),
    ),
    ("engagement/services/risk.py", "suggest_interventions"): scan(
        "engagement.score_risk", "high-risk students without an intervention this week"
    ),
    ("marketing/admin/blog.py", "sync_blog_post"): scan(
        "marketing.retry_blog_posts", "the blog post row, made pending"
    ),
    ("marketing/analytics/services.py", "send_ga4_conversion"): scan(
        "marketing.send_ga4_due", "the conversion row"
    ),
    ("marketing/crm/services.py", "sync_hubspot"): scan(
        "marketing.sync_hubspot_due", "the sync row"
    ),
    ("marketing/services/consent.py", "send_consent_confirmation"): mark(
        "marketing.Lead", "confirmation_due_since", "marketing.send_due_consent_confirmations"
    ),
    ("marketing/services/sequences.py", "personalise_sequence_step"): scan(
        "marketing.run_sequences", "the enrolment is due again when the lease ends"
    ),
    ("marketing/signals.py", "draft"): scan(
        "marketing.draft_missed_lesson_social_posts",
        "lessons published in the last 2 days without a social brief",
    ),
    ("marketing/signals.py", "sync_blog_post"): scan(
        "marketing.retry_blog_posts", "the blog post row, made pending"
    ),
    ("marketing/social/publishing.py", "publish_social_post"): scan(
        "marketing.run_social_posts", "scheduled posts still due"
    ),
    ("students/billing/services.py", "sync_lms_access"): mark(
        "students.Student", "lms_access_due_since", "students.sync_due_lms_access"
    ),
    ("students/onboarding/pipeline.py", "run_onboarding"): scan(
        "students.sweep_onboarding", "the pipeline's step rows"
    ),
    ("students/services.py", "resend_welcome"): mark(
        "students.Student", "welcome_resend_due_since", "students.enqueue_due_requests"
    ),
    ("students/services.py", "retry_onboarding_step"): mark(
        "students.OnboardingStep", "retry_due_since", "students.enqueue_due_requests"
    ),
    ("students/services.py", "grant_plan"): mark(
        "students.Student", "plan_grant_due_since", "students.grant_due_plans"
    ),
    ("students/services.py", "sync_task"): mark(
        "students.Student", "lms_access_due_since", "students.sync_due_lms_access"
    ),
    ("surveys/signals.py", "send_lesson_survey"): scan(
        "surveys.send_due", "lessons completed in the last week without a lesson survey"
    ),
    ("webinars/services/owed.py", "task"): (
        mark("webinars.Webinar", "reminder_text_due_since", "webinars.enqueue_owed_work"),
        mark("webinars.Webinar", "social_posts_due_since", "webinars.enqueue_owed_work"),
        mark("webinars.Registration", "confirmation_due_since", "webinars.enqueue_owed_work"),
        mark("webinars.Recording", "process_due_since", "webinars.enqueue_owed_work"),
    ),
    ("webinars/services/reminders.py", "deliver_reminder_chunk"): scan(
        "webinars.scan_reminders", "claimed deliveries whose holder is gone or lease ended"
    ),
    ("webinars/services/webinars.py", "push_calendar_event"): scan(
        "webinars.sync_google_calendar", "every upcoming webinar is pushed again"
    ),
}


def _calls(node):
    """The tasks a piece of code enqueues itself, and the plain names it calls."""
    tasks, names = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute) and sub.func.attr in ENQUEUE:
                tasks.add(ast.unparse(sub.func.value))
            elif isinstance(sub.func, ast.Name):
                names.add(sub.func.id)
    return tasks, names


def enqueue_sites(path, root=ROOT):
    tree = ast.parse(path.read_text())
    functions = {
        node.name: _calls(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }

    def enqueued(tasks, names, seen=frozenset()):
        tasks = set(tasks)
        for name in names - seen:
            if name in functions:
                tasks |= enqueued(*functions[name], seen | {name})
        return tasks

    rel = path.relative_to(root).as_posix()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "on_commit":
            callback = node.args[0]
            if isinstance(callback, ast.Name):
                tasks = enqueued(set(), {callback.id})
            else:
                tasks = enqueued(*_calls(callback))
            for task in tasks:
                yield rel, task


def all_sites():
    return {
        site
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for site in enqueue_sites(path)
    }


def test_every_task_enqueued_on_commit_declares_how_a_lost_message_is_recovered():
    sites = all_sites()

    assert sites - RECOVERY.keys() == set(), "enqueued on commit with no declared recovery"
    assert RECOVERY.keys() - sites == set(), "declared, but no longer enqueued on commit"


def test_each_declared_recovery_names_a_periodic_task_and_real_marks():
    periodic = {periodic.task for periodic in declared().values()}
    for site, recovery in RECOVERY.items():
        for way in recovery if isinstance(recovery[0], tuple) else (recovery,):
            if way[0] == "mark":
                _kind, model, field, sweeper = way
                assert apps.get_model(model)._meta.get_field(field).null, (site, field)
            else:
                _kind, sweeper, _why = way
            assert sweeper in periodic, (site, sweeper)


def test_the_scan_finds_an_enqueue_through_a_helper_of_the_module(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from django.db import transaction\n\n"
        "def _enqueue(pk):\n    probe_task.delay(pk)\n\n"
        "def change(pk):\n    transaction.on_commit(lambda: _enqueue(pk))\n"
        "    transaction.on_commit(lambda: cache.delete('k'))\n"
    )

    assert set(enqueue_sites(probe, root=tmp_path)) == {("probe.py", "probe_task")}
