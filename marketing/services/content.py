"""Campaign content goes out only as approved in the review queue (kind `newsletter`):
staff write a variant or ask the AI for a draft; either way a draft waits for approval,
and approving it is what sets the text that is sent."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from courseops.ai import generate
from courseops.reviews.services import create_draft
from marketing.models import Variant
from webinars.models import Webinar
from webinars.services.text import local_when


def submit_variant(*, variant):
    """Put the variant's current subject and body in the review queue."""
    return create_draft(
        kind="newsletter", target=variant, subject=variant.subject, body=variant.body_html
    )


def draft_variant_with_ai(*, variant, topics, webinars=(), angle="", language="es", user=None):
    """An AI draft from chosen topics and webinars, saved on the variant and queued for
    review. The webinars' public pages are the only links it may use."""
    result = generate(
        "newsletter",
        {
            "topics": list(topics),
            "webinars": [
                {
                    "title": webinar.title,
                    "when": local_when(
                        webinar.starts_at, time_zone=webinar.time_zone, language=language
                    ),
                    "url": settings.SITE_URL + reverse("webinars:register", args=[webinar.pk]),
                }
                for webinar in webinars
            ],
            "angle": angle,
        },
        language=language,
        requested_by="marketing.newsletter",
        user=user,
    )
    variant.subject = result.data["subject"][:200]
    variant.body_html = result.data["body_html"]
    variant.save(update_fields=["subject", "body_html"])
    return create_draft(
        kind="newsletter",
        target=variant,
        subject=variant.subject,
        body=variant.body_html,
        ai_result=result,
    )


def upcoming_public_webinars(limit=3):
    return list(
        Webinar.objects.filter(
            status=Webinar.Status.SCHEDULED, is_public=True, starts_at__gte=timezone.now()
        ).order_by("starts_at")[:limit]
    )


def newsletter_apply(draft, user):
    """Approving the draft makes its text the variant's approved one (what is sent)."""
    Variant.objects.filter(pk=draft.object_id).update(
        approved_subject=draft.subject, approved_body=draft.body, approved_at=timezone.now()
    )
