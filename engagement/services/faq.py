"""FAQ answers from the knowledge base.

Retrieval: PostgreSQL full-text search (Spanish or English configuration, GIN indexes from
migration 0009) in production; on SQLite a simple ranked fallback (shared words, the
article's question counting double). The AI answers only from the retrieved articles and
cites them; whether to answer or hand over is its own structured field (`decision`), never
read from the reply's wording. No good article, a low confidence or a handover decision:
a ticket for staff with the draft attached. Otherwise the draft is reviewed as `faq_answer`
(or sent at once under policy `auto`), carrying "did this help?" links that record a vote.
"""

import re
import unicodedata

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.core import pending
from courseops.reviews.services import create_draft
from courseops.support.services import open_ticket
from engagement import webhook_events
from engagement.automations import FAQ_ANSWERS
from engagement.models import (
    ActivityKind,
    ActivitySource,
    KnowledgeArticle,
    Question,
)
from engagement.services import owed
from engagement.services.activity import Activity, record_activity
from students.models import Student

MAX_ARTICLES = 3
MAX_QUESTION = 4000
FTS_CONFIGS = {"es": "spanish", "en": "english"}
# An answer needs at least this many meaningful words (stems) in common with the question.
MIN_SHARED_WORDS = 2
STEM = 5
VOTE_SALT = "engagement.faq.vote"
_STOP_WORDS_TEXT = """
a al algo como con cual cuando de del el ella en es esa ese esta este hay la las le lo los
me mi mis muy no o para pero por que qué se si sin sobre su sus te tu un una y ya yo the
and for are you your with this that what how can does have from not out
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def _words(text):
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return [w for w in re.findall(r"\w+", plain) if len(w) > 2 and w not in STOP_WORDS]


def _stems(text):
    """Crude stems (the first 5 letters) so "descargo" meets "descargar" on both databases."""
    return {word[:STEM] for word in _words(text)}


def _shared(wanted, article):
    """Stems of the question found in the article's question and in its answer."""
    return wanted & _stems(article.question), wanted & _stems(article.answer)


def search_articles(text, *, language, limit=MAX_ARTICLES):
    """The best active articles for a question, best first, as (article, rank).

    Whichever database ranks them, an article must share at least two meaningful words
    (stems) with the question: one common word ("equipo") is not an answer.
    """
    articles = KnowledgeArticle.objects.filter(active=True, language=language)
    words = _words(text)
    if not words:
        return []
    wanted = {word[:STEM] for word in words}
    config = FTS_CONFIGS.get(language)
    if connection.vendor == "postgresql" and config:
        found = _search_postgres(articles, words, config, limit)
    else:
        found = _search_fallback(articles, wanted, limit)
    floor = min(MIN_SHARED_WORDS, len(wanted))
    return [(a, rank) for a, rank in found if len(set().union(*_shared(wanted, a))) >= floor]


def _search_postgres(articles, words, config, limit):
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    # The same expression as the GIN indexes of migration 0009, so they apply.
    vector = SearchVector("question", "answer", config=config)
    query = SearchQuery(" | ".join(words), config=config, search_type="raw")
    ranked = (
        articles.annotate(search=vector, rank=SearchRank(vector, query))
        .filter(search=query)
        .order_by("-rank")[:limit]
    )
    return [(article, float(article.rank)) for article in ranked]


def _search_fallback(articles, wanted, limit):
    scored = []
    for article in articles.only("pk", "question", "answer")[:2000]:
        in_question, in_answer = _shared(wanted, article)
        if in_question or in_answer:
            scored.append((article, 2 * len(in_question) + len(in_answer)))
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


# --- Asking ---------------------------------------------------------------------------------


def ask_question(
    *, text, email="", student=None, channel=Question.Channel.PORTAL, message_id="", language=""
):
    """Record a question (the answer is drafted in a task after commit). An email's
    `message_id` records it once however often the inbound webhook is retried.

    The answer's language: the one the asker's channel states (an integration's widget, an
    email's Content-Language), else the student's, else the business's."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Escribe tu pregunta."))
    if len(text) > MAX_QUESTION:
        raise ValidationError(_("La pregunta es demasiado larga."))
    if student is None and email:
        student = Student.objects.filter(email__iexact=email.strip()).first()
    email = student.email if student else (email or "").strip()
    if not email:
        raise ValidationError(_("Indica tu email para poder responderte."))
    if language not in dict(settings.LANGUAGES):
        language = student.language if student else settings.LANGUAGE_CODE
    if message_id:
        existing = Question.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        question = Question.objects.create(
            student=student, email=email, text=text, language=language, channel=channel,
            message_id=message_id,
        )  # fmt: skip
        if student is not None:
            record_activity(
                Activity(
                    student=student,
                    kind=ActivityKind.QUESTION_ASKED,
                    occurred_at=question.created_at,
                    source=ActivitySource.API
                    if channel == Question.Channel.API
                    else ActivitySource.PORTAL,
                    external_id=f"question:{question.pk}",
                    target=question,
                )
            )
        owed.answer_owed(question.pk)
    return question


def answer_question(*, question_id):
    """Retrieve, draft with the AI, then either queue the answer or hand over to staff; the
    question's mark goes once done (or no longer owed), unless marked again."""
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        return None
    seen = question.answer_due_since
    result = _answer_question(question_id)
    pending.done(question, "answer_due_since", seen)
    return result


def _answer_question(question_id):
    question = Question.objects.filter(pk=question_id, status=Question.Status.RECEIVED).first()
    if question is None:
        return None
    found = search_articles(question.text, language=question.language)
    if not found:
        return hand_over(question, reason=_("Ninguna respuesta de la base de conocimiento."))
    articles = [article for article, _rank in found]
    context = {
        "question": question.text,
        "articles": [{"id": a.pk, "question": a.question, "answer": a.answer} for a in articles],
    }
    result = generate(
        "faq_answer",
        context,
        language=question.language,
        requested_by="engagement.faq",
        subject=question,
    )
    data = result.data
    cited = [a for a in articles if str(a.pk) in re.findall(r"\d+", data["cited"])]
    if data["decision"] != "answer" or data["confidence"] == "low" or not cited:
        return hand_over(
            question,
            reason=_("La IA propone pasarla al equipo (confianza: %(c)s).")
            % {"c": data["confidence"]},
            draft_text=data["reply_html"],
        )
    with translation.override(question.language):  # the subject the person will read
        subject = _("Respuesta a tu pregunta")
    with transaction.atomic():
        # Under the lock, once: a duplicate run (a redelivery, the sweeper) drafts nothing.
        locked = Question.objects.select_for_update().filter(pk=question.pk).first()
        if locked is None or locked.status != Question.Status.RECEIVED:
            return None
        question.articles.set(cited)
        draft = create_draft(
            kind="faq_answer",
            target=question,
            subject=subject,
            body=data["reply_html"],
            data={"articles": [a.pk for a in cited], "confidence": data["confidence"]},
            context=context,
            ai_result=result,
            recipient=question.email,
        )
        Question.objects.filter(pk=question.pk, status=Question.Status.RECEIVED).update(
            status=Question.Status.DRAFTED, draft=draft, confidence=data["confidence"]
        )
    return draft


def hand_over(question, *, reason, draft_text=""):
    """A ticket for staff, once per question, with whatever the AI drafted."""
    description = _("Pregunta de %(email)s:\n%(text)s\n\nMotivo: %(reason)s") % {
        "email": question.email,
        "text": question.text,
        "reason": reason,
    }
    if draft_text:
        description += "\n\n" + _("Borrador de la IA:") + "\n" + draft_text
    with transaction.atomic():
        ticket = open_ticket(
            subject=_("Pregunta sin respuesta automática: %(text)s") % {"text": question.text[:80]},
            description=description,
            kind="faq_handover",
            target=question,
            key=f"engagement.question.{question.pk}",
        )
        handed = (
            Question.objects.filter(pk=question.pk)
            .exclude(status=Question.Status.HANDED_OVER)
            .update(status=Question.Status.HANDED_OVER, ticket=ticket, handover_reason=reason[:200])
        )
        if handed:
            webhook_events.question_handed_over(question, ticket=ticket, reason=reason)
    return None


# --- Sending and votes ----------------------------------------------------------------------


def vote_url(question, helpful):
    token = signing.dumps({"q": question.pk, "h": bool(helpful)}, salt=VOTE_SALT)
    return settings.SITE_URL + reverse("engagement:faq-vote", kwargs={"token": token})


def send_answer(*, question, subject, body_html, body_text, related):
    """Email the approved answer once, with its sources and the vote links."""
    from courseops.messaging.services import queue_email

    articles = list(question.articles.order_by("pk"))
    message = queue_email(
        to=question.email,
        idempotency_key=f"engagement.question.{question.pk}.answer",
        subject=subject,
        template="engagement/faq_answer",
        context={
            "subject": subject,
            "question": question.text,
            "body_html": body_html,
            "body_text": body_text,
            "sources": [article.question for article in articles],
            "yes_url": vote_url(question, True),
            "no_url": vote_url(question, False),
        },
        related=related,
        language=question.language,
        automation=FAQ_ANSWERS,
    )
    if (
        Question.objects.filter(pk=question.pk)
        .exclude(status=Question.Status.ANSWERED)
        .update(status=Question.Status.ANSWERED, answered_at=timezone.now())
    ):
        log_action(question, "engagement.question.answered", data={"message": message.pk})
    return message


def record_vote(*, token):
    """Record a "did this help?" click; the last click counts. Raises BadSignature."""
    data = signing.loads(token, salt=VOTE_SALT)
    updated = Question.objects.filter(pk=data["q"]).update(helpful=bool(data["h"]))
    return bool(updated), bool(data["h"])


def article_from_question(*, question, user):
    """One click in the admin: a staff-approved answer becomes a knowledge-base article."""
    from courseops.reviews.sanitize import email_text

    if question.status != Question.Status.ANSWERED or question.draft is None:
        raise ValidationError(_("Solo las preguntas ya respondidas pueden ser artículos."))
    article = KnowledgeArticle.objects.create(
        question=question.text[:300],
        answer=email_text(question.draft.body),
        language=question.language,
        source=KnowledgeArticle.Source.QUESTION,
    )
    log_action(article, "engagement.article.created_from_question", user=user,
               data={"question": question.pk})  # fmt: skip
    return article


def question_from_email(message):
    """An anymail inbound message to the help address becomes a question (None if it is
    not for the help address or has no text)."""
    from courseops.reviews.sanitize import email_text

    address = settings.HELP_INBOX_ADDRESS.strip().lower()
    recipients = [a.addr_spec.lower() for a in [*(message.to or []), *(message.cc or [])]]
    if not address or address not in recipients or message.from_email is None:
        return None
    body = (message.text or email_text(message.html or "")).strip()
    if not body:
        return None
    subject = (message.subject or "").strip()
    return ask_question(
        text=f"{subject}\n\n{body}" if subject else body,
        email=message.from_email.addr_spec,
        channel=Question.Channel.EMAIL,
        message_id=(message["Message-ID"] or "").strip()[:255],
        language=stated_language(message["Content-Language"]),
    )


def stated_language(header):
    """'en-US, es' -> 'en': the first language of a Content-Language header we answer in."""
    for tag in (header or "").split(","):
        language = tag.strip().split("-")[0].lower()
        if language in dict(settings.LANGUAGES):
            return language
    return ""
