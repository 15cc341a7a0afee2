"""Where audience changes go. `console` logs them; `meta` uses the Marketing API:
`POST /act_<account>/customaudiences` once to create the audience, then
`POST|DELETE /<audience>/users` with `payload={"schema": ["EMAIL", "PHONE"], "data":
[[sha256, sha256 or ""], ...]}` in batches of at most 10,000 (re-sending a batch is
harmless: membership is a set)."""

import json

import structlog
from django.conf import settings

from courseops.core import http

logger = structlog.get_logger(__name__)
BATCH = 10_000


class AudienceError(Exception):
    pass


def _graph(method, path, data):
    url = f"{settings.MARKETING_META_API_BASE}/{settings.MARKETING_META_API_VERSION}/{path}"
    try:
        response = http.request(
            method,
            url,
            data={**data, "access_token": settings.MARKETING_META_ACCESS_TOKEN},
            timeout=settings.MARKETING_SOCIAL_TIMEOUT_SECONDS,
        )
    except http.HTTPError as exc:
        raise AudienceError(f"Meta: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        raise AudienceError(f"Meta {response.status_code}: {response.text[:300]}")
    return response.json()


class ConsoleAudiences:
    def create(self, audience):
        return f"console-{audience.pk}"

    def change(self, audience, rows, *, remove):
        logger.info("ad_audience.console", audience=audience.pk, remove=remove, count=len(rows))


class MetaAudiences:
    def create(self, audience):
        if not settings.MARKETING_META_AD_ACCOUNT_ID or not settings.MARKETING_META_ACCESS_TOKEN:
            raise AudienceError("Falta MARKETING_META_AD_ACCOUNT_ID o MARKETING_META_ACCESS_TOKEN.")
        answer = _graph(
            "POST",
            f"act_{settings.MARKETING_META_AD_ACCOUNT_ID}/customaudiences",
            {
                "name": audience.name,
                "subtype": "CUSTOM",
                "description": f"CourseOps: {audience.segment}",
                "customer_file_source": "USER_PROVIDED_ONLY",
            },
        )
        return str(answer["id"])

    def change(self, audience, rows, *, remove):
        for start in range(0, len(rows), BATCH):
            payload = {"schema": ["EMAIL", "PHONE"], "data": rows[start : start + BATCH]}
            _graph(
                "DELETE" if remove else "POST",
                f"{audience.external_id}/users",
                {"payload": json.dumps(payload)},
            )


PROVIDERS = {"console": ConsoleAudiences(), "meta": MetaAudiences()}
