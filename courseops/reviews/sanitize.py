"""AI-written HTML is untrusted: it is cleaned before it is stored and again before it
is sent, so a prompt injection or a bad edit can never smuggle scripts, forms, tracking
pixels on odd schemes or `javascript:` links into a student's inbox or the admin."""

import re
from html import unescape

import nh3
from django.utils.html import strip_tags
from markdown_it import MarkdownIt

# What email clients render reliably; no forms, media, frames or scripts.
EMAIL_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_CELL = {"align", "valign", "colspan", "rowspan", "width", "height", "bgcolor"}
EMAIL_ATTRIBUTES = {
    "*": {"style", "dir", "lang", "title"},
    "a": {"href", "name", "target"},
    "img": {"src", "alt", "width", "height", "align"},
    "table": {"align", "width", "border", "cellpadding", "cellspacing", "bgcolor", "role"},
    "td": _CELL,
    "th": _CELL,
    "tr": {"align", "valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
}
# Inline CSS is how emails are styled; positioning and behaviours are not allowed.
EMAIL_STYLE_PROPERTIES = {
    "background", "background-color", "border", "border-bottom", "border-collapse",
    "border-color", "border-left", "border-radius", "border-right", "border-spacing",
    "border-style", "border-top", "border-width", "color", "display", "font", "font-family",
    "font-size", "font-style", "font-weight", "height", "letter-spacing", "line-height",
    "list-style", "list-style-type", "margin", "margin-bottom", "margin-left", "margin-right",
    "margin-top", "max-width", "min-width", "padding", "padding-bottom", "padding-left",
    "padding-right", "padding-top", "text-align", "text-decoration", "text-transform",
    "vertical-align", "white-space", "width",
}  # fmt: skip
SAFE_URL_SCHEMES = {"https", "http", "mailto", "tel"}


def clean_email_html(html):
    """Return `html` restricted to a safe email subset (idempotent)."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=EMAIL_TAGS,
        clean_content_tags={"script", "style"},
        attributes=EMAIL_ATTRIBUTES,
        url_schemes=SAFE_URL_SCHEMES,
        filter_style_properties=EMAIL_STYLE_PROPERTIES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def markdown_email_html(text):
    """Email HTML from what staff write in Markdown (HTML inside it passes, then the same
    safe subset as any email: no scripts, no forms, safe links only)."""
    return clean_email_html(_markdown.render(text or ""))


_LINK = re.compile(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|tr|table|blockquote|ul|ol|pre)>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<br\s*/?>|</li>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)


def email_text(html):
    """The plain-text alternative of sanitized email HTML: paragraphs kept, links
    written out, so text-only clients and spam filters see the same message."""

    def link(match):
        url, label = match.group(1), match.group(2)
        return label if url in label else f"{label} ({url})"

    text = _LINK.sub(link, html or "")
    text = _LIST_ITEM.sub("- ", _LINE_BREAK.sub("\n", _BLOCK_END.sub("\n\n", text)))
    text = unescape(strip_tags(text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
