"""Work a webinar, a registration or a recording owes, marked on its row in the change's
transaction (`courseops.core.pending`): the task enqueued on commit is the quick way, and
`enqueue_due` (the sweeper) enqueues again what a lost message left behind. Each piece of
work is safe to run twice: drafts are made once per webinar and language, the
confirmation is queued under an outbox key, the recording's transcription is claimed.
"""

from django.db import transaction

from courseops.core import pending
from webinars.models import Recording, Registration, Webinar

# (model, mark, task name): what the sweeper enqueues again.
OWED = (
    (Webinar, "reminder_text_due_since", "draft_reminder_text"),
    (Webinar, "social_posts_due_since", "draft_social_posts"),
    (Registration, "confirmation_due_since", "confirm_registration"),
    (Recording, "process_due_since", "process_recording"),
)


def _owe(model, pk, field, task_name):
    from webinars import tasks

    pending.mark(model.objects.filter(pk=pk), field)
    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.delay(pk))


def reminder_text_owed(webinar_id):
    """The AI reminder text (in each language of the webinar) is to be drafted."""
    _owe(Webinar, webinar_id, "reminder_text_due_since", "draft_reminder_text")


def social_posts_owed(webinar_id):
    """The webinar's social posts are to be drafted."""
    _owe(Webinar, webinar_id, "social_posts_due_since", "draft_social_posts")


def confirmation_owed(registration_id):
    """The registration's confirmation (personal link, invitation) is to be sent."""
    _owe(Registration, registration_id, "confirmation_due_since", "confirm_registration")


def processing_owed(recording_id):
    """The recording is to be transcribed and its drafts made."""
    _owe(Recording, recording_id, "process_due_since", "process_recording")


def enqueue_due():
    """The sweeper: work whose task was lost (or kept failing) is enqueued again. Returns
    how many rows, by mark."""
    from webinars import tasks

    return pending.enqueue_owed(OWED, tasks)
