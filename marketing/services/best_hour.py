"""Each contact's best hour to receive mail, learned from human signals only (clicks,
webinar attendance, portal sign-ins; never opens) in the contact's own time zone.

With too few signals of their own, the hour that works for the others in the same batch
of the campaign, then the campaign's local hour.
"""

import zoneinfo
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.conf import settings

from marketing.models import Action, Activity

HUMAN_SIGNALS = (Action.CLICKED, Action.WEBINAR_ATTENDED, Action.SIGNED_IN)
MIN_SIGNALS = 3


def _zone(name):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def best_hours(leads, *, default_hour):
    """{lead id: hour 0-23} for `leads`, from one query over their human signals."""
    zones = {lead.pk: _zone(lead.time_zone) for lead in leads}
    hours = defaultdict(Counter)
    rows = Activity.objects.filter(lead_id__in=list(zones), action__in=HUMAN_SIGNALS).values_list(
        "lead_id", "occurred_at"
    )
    for lead_id, occurred_at in rows:
        hours[lead_id][occurred_at.astimezone(zones[lead_id]).hour] += 1
    everyone = sum(hours.values(), Counter())
    fallback = everyone.most_common(1)[0][0] if everyone else default_hour
    return {
        pk: (hours[pk].most_common(1)[0][0] if sum(hours[pk].values()) >= MIN_SIGNALS else fallback)
        for pk in zones
    }


def next_at_hour(now, *, hour, time_zone):
    """The first moment at `hour` o'clock in `time_zone` from `now` (within 24 hours)."""
    tz = _zone(time_zone)
    local = now.astimezone(tz)
    moment = datetime(local.year, local.month, local.day, hour, tzinfo=tz)
    return moment if moment >= local else moment + timedelta(days=1)
