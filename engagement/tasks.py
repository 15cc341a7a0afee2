"""Thin tasks: ids in, one service call."""

import logging

from celery import shared_task

from courseops.ai import AIError
from engagement.services import nudges

logger = logging.getLogger(__name__)


@shared_task(name="engagement.scan_nudges", ignore_result=True)
def scan_nudges():
    nudges.scan_rules()


@shared_task(name="engagement.draft_nudges", ignore_result=True)
def draft_nudges(nudge_ids):
    """A nudge whose AI call fails stays `claimed`: the next scan drafts it again, so one
    failure (budget spent, provider down) does not hold up the rest of the chunk."""
    for nudge_id in nudge_ids:
        try:
            nudges.draft_nudge(nudge_id=nudge_id)
        except AIError as exc:
            logger.warning(
                "engagement.nudge.draft_failed", extra={"nudge": nudge_id, "error": str(exc)}
            )
