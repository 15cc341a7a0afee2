"""The one inner table staff read inside an admin page (a job's steps, a campaign's
variants, a webinar's reminders). Unfold's CSS reset strips a plain table of its padding
and borders, so every one goes through this include and its stylesheet
(static/courseops/admin.css, loaded on every admin page by UNFOLD["STYLES"])."""

from django.template.loader import render_to_string
from django.templatetags.static import static


def table(headers, rows, *, empty="-", numeric=()):
    """`rows` (sequences of cells, escaped unless already safe) under `headers`, as safe
    HTML; `empty` when there are no rows. `numeric` holds the indexes of right-aligned
    columns."""
    rows = [list(row) for row in rows]
    if not rows:
        return empty
    return render_to_string(
        "admin/includes/table.html",
        {"headers": list(headers), "rows": rows, "numeric": set(numeric)},
    )


def stylesheet(request):
    """UNFOLD["STYLES"]: the inner tables' stylesheet on every admin page."""
    return static("courseops/admin.css")
