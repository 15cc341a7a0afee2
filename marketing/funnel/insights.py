"""The weekly AI summary of what worked (review kind `marketing_insights`): the funnel by
source of the last full week goes to the AI, and a summary citing any number that is not
one of those figures is replaced by the plain offline summary (a reviewer must never have
to check invented numbers)."""

import re
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from courseops.ai import generate
from courseops.ai.prompts import load_prompt
from courseops.audit.services import log_action
from courseops.core.display import percent, rounded
from courseops.reviews.models import Draft
from courseops.reviews.services import create_draft
from marketing.funnel.report import Window, funnel

NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def last_week(now):
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday() + 7)
    start = datetime.combine(monday, time(), tzinfo=zone)
    return Window(start=start, end=start + timedelta(days=7))


def _rate(part, whole):
    return percent(part, whole)


def _figures(rows):
    def shape(row):
        return {
            "group": row["key"],
            **{
                k: row[k]
                for k in ("views", "leads", "registrants", "attendees", "checkouts", "paying")
            },
            "revenue": f"{rounded(row['revenue'], 2):.2f}",
            "cost_per_lead": "-"
            if row["cost_per_lead"] is None
            else f"{rounded(row['cost_per_lead'], 2):.2f}",
            "lead_rate": _rate(row["leads"], row["views"]),
            "pay_rate": _rate(row["paying"], row["leads"]),
        }

    return [shape(row) for row in rows[:-1]], shape(rows[-1])


def _number(written):
    """ "49,00", "49.0" and "49" are one figure; "40" stays 40."""
    value = written.replace(",", ".")
    return value.rstrip("0").rstrip(".") if "." in value else value


def _numbers(text):
    return {_number(match) for match in NUMBER.findall(text)}


def foreign_numbers(text, context):
    """Numbers in `text` that appear nowhere in the figures and dates given."""
    return sorted(_numbers(text) - _numbers(repr(context)))


def draft_weekly_insights(*, now=None, language="es"):
    """Once per week: the summary of last week, queued for review. None if done."""
    now = now or timezone.now()
    window = last_week(now)
    week_key = window.start.date().isoformat()
    if Draft.objects.filter(kind="marketing_insights", context__week_start=week_key).exists():
        return None
    rows, total = _figures(funnel("source", window, now=now))
    last_day = window.end.date() - timedelta(days=1)
    context = {
        "week": f"{window.start:%d/%m/%Y} - {last_day:%d/%m/%Y}",
        "rows": rows,
        "total": total,
    }
    result = generate(
        "marketing_insights", context, language=language, requested_by="marketing.insights"
    )
    subject, summary = result.data["subject"], result.data["summary"]
    foreign = foreign_numbers(subject + " " + summary, context)
    if foreign:
        offline = load_prompt("marketing_insights").render_offline(
            {**context, "language": language}, language
        )
        subject, summary = offline["subject"], offline["summary"]
    return create_draft(
        kind="marketing_insights",
        target=None,
        subject=subject.strip()[:200],
        body=summary.strip(),
        data={"figures": rows, "total": total, "replaced_numbers": foreign},
        context={"week_start": week_key, **context},
        ai_result=result,
    )


def insights_apply(draft, user):
    """Nothing to publish: approving records that the summary was read and agreed."""
    log_action(draft, "marketing.insights.approved", user=user)
