"""AI drafts of a landing page's copy (review kind `landing_page`): nothing reaches the
public page until staff approve the draft, possibly edited."""

from django.urls import reverse

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.reviews.services import create_draft
from marketing.landing.models import LandingPage
from webinars.services.text import local_when


def _promotes(page):
    if page.plan_id:
        return f"{page.plan.name}: {page.plan.price} {page.plan.currency}"
    if page.webinar_id:
        when = local_when(
            page.webinar.starts_at, time_zone=page.webinar.time_zone, language=page.language
        )
        return f"webinar «{page.webinar.title}», {when}"
    return ""


def draft_copy(*, page, topic, audience="", user=None):
    """Ask the AI for the page's copy and queue it for review."""
    result = generate(
        "landing_page",
        {
            "topic": topic,
            "audience": audience,
            "promotes": _promotes(page),
            "current_headline": page.headline,
        },
        language=page.language,
        requested_by="marketing.landing_page",
        user=user,
    )
    data = result.data
    return create_draft(
        kind="landing_page",
        target=page,
        subject=data["headline"][:200],
        body=data["body"].strip(),
        data={
            "title": data["title"][:70],
            "description": data["description"][:160],
            "headline_b": data["headline_b"][:200],
            "cta_label": data["cta_label"][:80],
            "url": reverse("landing:page", args=[page.slug]),
        },
        ai_result=result,
    )


def landing_copy_apply(draft, user):
    """The approved (maybe edited) copy becomes the page's; applying twice is the same."""
    data = draft.data or {}
    page = LandingPage.objects.filter(pk=draft.object_id).first()
    if page is None:
        return
    page.headline = draft.subject[:200]
    page.body = draft.body
    page.title = (data.get("title") or page.title)[:70]
    page.description = (data.get("description") or page.description)[:160]
    page.cta_label = (data.get("cta_label") or page.cta_label)[:80]
    if data.get("headline_b"):
        page.headline_variants = [data["headline_b"][:200]]
    page.save()
    log_action(page, "marketing.landing_page.copy_applied", user=user, data={"draft": draft.pk})
