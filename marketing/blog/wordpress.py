"""An approved lesson summary as a draft post on the business's WordPress blog (REST API,
`/wp-json/wp/v2/posts`, with an application password), through the one HTTP client.

One post per lesson (`BlogPost`, unique on the lesson): the first sync creates a draft,
later ones update it (never its status: staff may have published it). A create whose
answer was lost may still have made the post, so the next attempt first asks WordPress
for the post by its slug (unique per lesson) and adopts it: a retry never makes two.
https://developer.wordpress.org/rest-api/reference/posts/"""

from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core import http
from courseops.core.liveness import claim, free_gone
from marketing.blog.models import BlogPost
from marketing.social.lessons import lesson_link

MAX_ATTEMPTS = 8
ANY_STATUS = "publish,future,draft,pending,private"


def configured():
    return bool(
        settings.WORDPRESS_URL and settings.WORDPRESS_USERNAME and settings.WORDPRESS_APP_PASSWORD
    )


def slug_for(lesson):
    return f"courseops-leccion-{lesson.pk}"


def post_fields(lesson):
    """Title, content (HTML), excerpt and slug from the lesson's approved materials only."""
    materials = lesson.materials or {}
    points = [
        str(p.get("point", "")) if isinstance(p, dict) else str(p)
        for p in materials.get("key_points", [])
    ]
    with translation.override(lesson.language):
        content = format_html(
            '<p>{}</p>\n<h2>{}</h2>\n<ul>\n{}\n</ul>\n<p><a href="{}">{}</a></p>',
            materials.get("summary", ""),
            _("Puntos clave"),
            format_html_join("\n", "<li>{}</li>", ((p,) for p in points if p.strip())),
            lesson_link(lesson),
            _("Aprende esto y más en el curso «%(course)s»") % {"course": lesson.course.title},
        )
    return {
        "title": lesson.title,
        "content": str(content),
        "excerpt": str(materials.get("summary", ""))[:300],
        "slug": slug_for(lesson),
    }


def _client():
    return http.make_client(
        timeout=settings.WORDPRESS_TIMEOUT_SECONDS,
        base_url=settings.WORDPRESS_URL.rstrip("/") + "/wp-json/wp/v2/",
        auth=(settings.WORDPRESS_USERNAME, settings.WORDPRESS_APP_PASSWORD),
        headers={"Accept": "application/json"},
    )


def _claim(post, now):
    """Take the row for this attempt (one worker at a time); False if another holds it.
    A row whose worker is gone is taken again at once (its create, if it made one, is
    looked up first: `check_before_create` stays)."""
    row = BlogPost.objects.filter(pk=post.pk)
    free_gone(row.filter(state=BlogPost.State.SENDING), state=BlogPost.State.PENDING)
    return claim(
        row.exclude(state=BlogPost.State.SENDING),
        state=BlogPost.State.SENDING,
        attempts=F("attempts") + 1,
        check_before_create=post.wordpress_id is None,
        updated_at=now,
    )


def _find(client, slug):
    response = http.request(
        "GET",
        "posts",
        client=client,
        params={"slug": slug, "status": ANY_STATUS, "context": "edit"},
    )
    found = http.raise_for_status(response, "WordPress").json()
    return found[0] if found else None


def post_owed(*, lesson_ids):
    """The lessons' posts are to be sent (a lesson published, staff asking again): their
    rows wait as pending with fresh attempts, so `retry_due` sends them if the task asked
    for is lost. A row being sent right now is left to its sender."""
    for lesson_id in lesson_ids:
        BlogPost.objects.get_or_create(lesson_id=lesson_id)
    BlogPost.objects.filter(lesson_id__in=lesson_ids).exclude(state=BlogPost.State.SENDING).update(
        state=BlogPost.State.PENDING, attempts=0, updated_at=timezone.now()
    )


def has_summary(lesson):
    return bool(str((lesson.materials or {}).get("summary") or "").strip())


def sync_post(*, lesson, force=False, now=None):
    """Create or update the lesson's draft post; returns the BlogPost (None when the blog
    is not configured or the lesson has no approved summary)."""
    materials = lesson.materials or {}
    if not configured() or not has_summary(lesson):
        return None
    now = now or timezone.now()
    post, _created = BlogPost.objects.get_or_create(lesson=lesson)
    draft = materials.get("draft")
    if post.state == BlogPost.State.SYNCED and post.synced_draft == draft and not force:
        return post
    uncertain = post.check_before_create
    if not _claim(post, now):
        return post
    post.refresh_from_db()
    fields = post_fields(lesson)
    try:
        with _client() as client:
            if post.wordpress_id is None and uncertain:
                existing = _find(client, fields["slug"])
                post.wordpress_id = existing and existing["id"]
            if post.wordpress_id:
                response = http.request(
                    "POST", f"posts/{post.wordpress_id}", client=client, json=fields
                )
            else:
                response = http.request(
                    "POST", "posts", client=client, json={**fields, "status": "draft"}
                )
            data = http.raise_for_status(response, "WordPress").json()
    except http.HTTPError as exc:
        failed = exc.permanent or post.attempts >= MAX_ATTEMPTS
        BlogPost.objects.filter(pk=post.pk).update(
            state=BlogPost.State.FAILED if failed else BlogPost.State.PENDING,
            wordpress_id=post.wordpress_id,
            # A create that may have reached WordPress is looked up before the next one.
            check_before_create=post.wordpress_id is None and exc.sent,
            held_by="",
            last_error=str(exc)[:2000],
            updated_at=now,
        )
        post.refresh_from_db()
        return post
    created = post.wordpress_id is None
    BlogPost.objects.filter(pk=post.pk).update(
        state=BlogPost.State.SYNCED,
        wordpress_id=data["id"],
        link=str(data.get("link") or "")[:500],
        synced_draft=draft,
        check_before_create=False,
        held_by="",
        last_error="",
        synced_at=now,
        updated_at=now,
    )
    post.refresh_from_db()
    log_action(
        lesson,
        "marketing.blog_post.created" if created else "marketing.blog_post.updated",
        data={"wordpress_id": data["id"]},
    )
    return post


def retry_due(*, now=None):
    """Posts waiting after a passing failure, or whose worker is gone mid-call."""
    now = now or timezone.now()
    free_gone(BlogPost.objects.filter(state=BlogPost.State.SENDING), state=BlogPost.State.PENDING)
    due = BlogPost.objects.filter(
        state=BlogPost.State.PENDING, attempts__lt=MAX_ATTEMPTS
    ).select_related("lesson__course")
    return [sync_post(lesson=post.lesson, force=True, now=now) for post in due[:200]]
