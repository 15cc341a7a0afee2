"""Templates to bodies. Rendered when queued, so the row holds exactly what goes out
(and what staff preview) even if a template changes before a scheduled send.

An email template `name` is three files under `templates/emails/`: `name.subject.txt`,
`name.html` (extends `emails/base.html`) and `name.txt` (the text alternative).
An SMS template is `templates/sms/name.txt`.
"""

import css_inline
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags

_inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


def inline_css(html):
    return _inliner.inline(html)


def render_email(*, template, context, language=None):
    """Returns (subject, html, text) for template `name`."""
    with translation.override(language or translation.get_language()):
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
        try:
            text = render_to_string(f"emails/{template}.txt", context)
        except TemplateDoesNotExist:
            text = strip_tags(html)
    # Mail headers are one line; templates end with a newline.
    subject = " ".join(subject.split())
    return subject, inline_css(html), text.strip() + "\n"


def render_sms(*, template, context, language=None):
    with translation.override(language or translation.get_language()):
        return render_to_string(f"sms/{template}.txt", context).strip()
