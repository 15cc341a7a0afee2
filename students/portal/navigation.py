"""The portal's navigation: the higher apps (content, webinars, engagement) plug their
sections in from their AppConfig.ready(), so the students app never imports them.

A section may give a `summary(student) -> str | None` (the home page card's line, e.g.
"3 lecciones nuevas") and a `badge(student) -> int | None` (the count shown in the
menu). Each should cost at most one query; both are cached per student for
`SUMMARY_CACHE_SECONDS` and read in one cache round trip, so a page costs the same
queries whatever the number of sections once warm.

An app may also put a panel at the top of the home (`register_home_panel`: a template and
`context(student) -> dict | None`, None for nothing to show), e.g. "continuar donde lo
dejaste"; panels are not cached, so they show what the student just did.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SUMMARY_CACHE_SECONDS = 60
HOME = "home"


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    order: int = 100
    summary: Callable | None = None
    badge: Callable | None = None


@dataclass(frozen=True)
class HomePanel:
    key: str
    template_name: str
    context: Callable
    order: int = 100


_sections: dict[str, Section] = {}
_panels: dict[str, HomePanel] = {}


def register_section(key, label, url_name, order=100, *, summary=None, badge=None):
    """Add (or replace, when registered again under the same key) a portal section."""
    _sections[key] = Section(key, label, url_name, order, summary, badge)


def unregister_section(key):
    _sections.pop(key, None)


def register_home_panel(key, template_name, context, order=100):
    """Add (or replace) a panel of the portal's home."""
    _panels[key] = HomePanel(key, template_name, context, order)


def home_panels(student):
    """[{"template_name", "context"}] of the panels that have something for `student`."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(student)
        if context is not None:
            shown.append({"template_name": panel.template_name, "context": context})
    return shown


def sections():
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def navigation(request, student, *, with_summaries=False):
    """The menu for `student`: one dict per section with its url, whether it is the page
    being shown (the longest url the path starts with), its badge and, for the home
    page's cards, its summary."""
    items = [{"section": s, "url": reverse(s.url_name)} for s in sections()]
    active = max(
        (item["url"] for item in items if _is_under(request.path, item["url"], item["section"])),
        key=len,
        default=None,
    )
    values = _cached_values(student, [item["section"] for item in items], with_summaries)
    return [
        {
            "key": item["section"].key,
            "label": item["section"].label,
            "url": item["url"],
            "active": item["url"] == active,
            "badge": values.get(("badge", item["section"].key)),
            "summary": values.get(("summary", item["section"].key)),
        }
        for item in items
    ]


def _is_under(path, url, section):
    return path == url if section.key == HOME else path.startswith(url)


def forget(student):
    """Drop the student's cached summaries and badges (after they changed what they show,
    e.g. registering to a webinar), in every language."""
    cache.delete_many(
        [
            _key(kind, section.key, student, language)
            for section in sections()
            for kind in ("badge", "summary")
            for language, _name in settings.LANGUAGES
        ]
    )


def _key(kind, section_key, student, language):
    return f"portal:nav:{kind}:{section_key}:{student.pk}:{language}"


def _cached_values(student, section_list, with_summaries):
    """{(kind, section key): value}: from the cache, computing only what is missing."""
    kinds = ("badge", "summary") if with_summaries else ("badge",)
    wanted = {
        (kind, s.key): (_key(kind, s.key, student, get_language()), getattr(s, kind))
        for s in section_list
        for kind in kinds
        if getattr(s, kind) is not None
    }
    cached = cache.get_many([key for key, _compute in wanted.values()])
    values, missing = {}, {}
    for name, (key, compute) in wanted.items():
        if key in cached:
            values[name] = cached[key]
        else:
            values[name] = missing[key] = compute(student)
    if missing:
        cache.set_many(missing, SUMMARY_CACHE_SECONDS)
    return values


def push_panel(student):
    """An invitation to turn on notifications, while push is on and this student has no
    browser subscribed (one query)."""
    from courseops.messaging.models import PushSubscription
    from courseops.messaging.services import push_public_key

    if not push_public_key():
        return None
    if PushSubscription.objects.filter(address=student.email.lower()).exists():
        return None
    return {}


def register():
    """The students app's own sections (the home page, the subscription) and panel (push
    notifications)."""
    register_section(HOME, _("Inicio"), "portal:home", order=0)
    register_section("subscription", _("Mi suscripción"), "portal:subscription", order=90)
    register_home_panel("push", "portal/push_panel.html", push_panel, order=90)
