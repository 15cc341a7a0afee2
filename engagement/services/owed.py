"""Work a submission or a question owes, marked on its row in the change's transaction
(`courseops.core.pending`): the task enqueued on commit is the quick way, and
`enqueue_due` (the sweeper) enqueues again what a lost message left behind. Both are safe
to run twice: each acts only on a row still in its first state, under a lock (one
feedback draft per submission, one answer or ticket per question).
"""

from django.db import transaction

from courseops.core import pending
from engagement.models import Question, Submission

# (model, mark, task name): what the sweeper enqueues again.
OWED = (
    (Submission, "feedback_due_since", "draft_assignment_feedback"),
    (Question, "answer_due_since", "answer_question_task"),
)


def _owe(model, pk, field, task_name):
    from engagement import tasks

    pending.mark(model.objects.filter(pk=pk), field)
    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.delay(pk))


def feedback_owed(submission_id):
    """The AI feedback on the submission is to be drafted."""
    _owe(Submission, submission_id, "feedback_due_since", "draft_assignment_feedback")


def answer_owed(question_id):
    """The question is to be answered (or handed over)."""
    _owe(Question, question_id, "answer_due_since", "answer_question_task")


def given_up(model, pk, field):
    """The task gave up (a permanent error, retries spent): the mark goes, as the sweeper
    is for lost messages, not for asking the AI again and again."""
    row = model.objects.filter(pk=pk).first()
    if row is not None:
        pending.done(row, field, getattr(row, field))


def enqueue_due():
    """The sweeper: work whose task was lost is enqueued again. Returns how many rows, by
    mark."""
    from engagement import tasks

    return pending.enqueue_owed(OWED, tasks)
