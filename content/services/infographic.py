"""The lesson infographic: a one-page visual (1080 px wide SVG) of the lesson's key points,
drawn from `templates/content/infographic.svg` with no network and no fonts to download.
Its words (title and up to six points, each with its minute) are a review draft of their
own, made when the summary is approved; the approved version is what the portal shows and
the PDF includes."""

import base64
import textwrap

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from courseops.ai import transcripts

WIDTH = 1080
MAX_POINTS = 6
TITLE_CHARS, TITLE_LINES = 30, 3
POINT_CHARS, POINT_LINES = 46, 4
# Vertical rhythm, in px.
HEADER, LINE, TITLE_LINE, CARD_PAD, GAP, FOOTER = 150, 36, 58, 34, 22, 90
COLOURS = ("#2563eb", "#7c3aed", "#db2777", "#ea580c", "#16a34a", "#0891b2")


class InfographicInvalid(ValueError):
    pass


def from_materials(lesson):
    """The draft's data from the approved summary: the title and the first key points."""
    points = (lesson.materials or {}).get("key_points", [])[:MAX_POINTS]
    return {
        "title": lesson.title,
        "points": [{"seconds": p["seconds"], "point": p["point"]} for p in points],
    }


def validate(data):
    data = data or {}
    title = str(data.get("title") or "").strip()
    if not title:
        raise InfographicInvalid(_("La infografía necesita un título."))
    points = data.get("points")
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        raise InfographicInvalid(
            _("La infografía lleva de 1 a %(max)s puntos.") % {"max": MAX_POINTS}
        )
    cleaned = []
    for point in points:
        text = str((point or {}).get("point") or "").strip() if isinstance(point, dict) else ""
        seconds = point.get("seconds") if isinstance(point, dict) else None
        if not text or not isinstance(seconds, int | float) or seconds < 0:
            raise InfographicInvalid(_("Cada punto necesita su texto y su segundo."))
        cleaned.append({"seconds": seconds, "point": text})
    return {"title": title, "points": cleaned}


def _wrap(text, width, lines):
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1].rstrip(" .,;:") + "…"
    return wrapped


def render_svg(data, *, course_title=""):
    """The infographic as an SVG document (a string)."""
    title_lines = _wrap(data["title"], TITLE_CHARS, TITLE_LINES)
    y = HEADER + TITLE_LINE * len(title_lines) + 40
    cards = []
    for number, point in enumerate(data["points"], start=1):
        lines = _wrap(point["point"], POINT_CHARS, POINT_LINES)
        height = CARD_PAD * 2 + LINE * len(lines)
        cards.append(
            {
                "number": number,
                "y": y,
                "height": height,
                "middle": y + height // 2,  # integers: a float would print as "331,0" in Spanish
                "colour": COLOURS[(number - 1) % len(COLOURS)],
                "stamp": transcripts.stamp(point["seconds"]),
                "lines": [
                    {"text": line, "y": y + CARD_PAD + LINE * (i + 1) - 8}
                    for i, line in enumerate(lines)
                ],
            }
        )
        y += height + GAP
    return render_to_string(
        "content/infographic.svg",
        {
            "width": WIDTH,
            "height": y + FOOTER,
            "course_title": course_title,
            "title_lines": [
                {"text": line, "y": HEADER + TITLE_LINE * i} for i, line in enumerate(title_lines)
            ],
            "cards": cards,
            "footer_y": y + 50,
            "footer": _("Puntos clave de la lección, con el minuto del vídeo en que se explican."),
        },
    )


def approved_svg(lesson):
    """The approved infographic's SVG, or "" when there is none."""
    if not lesson.infographic:
        return ""
    return render_svg(lesson.infographic, course_title=lesson.course.title)


def data_uri(svg):
    """For the PDF: an <img> source WeasyPrint draws like any image."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def text_body(data):
    """The draft's body staff read in the queue."""
    lines = [data["title"], ""]
    lines += [
        f"{n}. [{transcripts.stamp(p['seconds'])}] {p['point']}"
        for n, p in enumerate(data["points"], start=1)
    ]
    return "\n".join(lines)
