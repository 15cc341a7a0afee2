"""Questions get a cited answer from the knowledge base, or go to staff with a ticket."""

import json

import pytest
import time_machine

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.rollout import set_kind_policy
from courseops.reviews.services import approve_draft
from courseops.support.models import Ticket
from engagement.models import KnowledgeArticle, Question
from engagement.services.faq import article_from_question, ask_question, search_articles
from students.portal.services import sign_in_link
from tests.ai.conftest import chat_completion, fake_openai, make_httpserver  # noqa: F401
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(db):
    return [
        KnowledgeArticle.objects.create(
            question="¿Cómo descargo el certificado del curso?",
            answer="Al completar todas las lecciones, el certificado aparece en tu portal, "
            "en la sección Progreso, listo para descargar en PDF.",
        ),
        KnowledgeArticle.objects.create(
            question="¿Puedo cambiar de plan?",
            answer="Sí: escribe al equipo y cambiamos tu plan desde el siguiente pago.",
        ),
        KnowledgeArticle.objects.create(
            question="How do I download my certificate?",
            answer="Your certificate appears in the portal once you finish.",
            language="en",
        ),
    ]


def test_retrieval_ranks_the_matching_article_first_in_the_questions_language(articles):
    found = search_articles("no encuentro dónde descargar mi certificado", language="es")

    assert [article for article, _rank in found] == [articles[0]]


def test_one_common_word_is_not_a_match(articles):
    assert search_articles("¿Hay descuento para equipos de empresa?", language="es") == []


def test_a_portal_question_with_a_matching_article_gets_a_cited_answer_on_approval(
    articles, student, client, staff_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        client.post(sign_in_link(student=student).removeprefix("http://127.0.0.1:8000"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/portal/preguntas/", {"text": "¿Dónde descargo el certificado del curso?"}
            )
    assert response.status_code == 302

    question = Question.objects.get()
    assert (question.status, question.channel, question.student) == ("drafted", "portal", student)
    assert list(question.articles.all()) == [articles[0]]
    draft = Draft.objects.get(kind="faq_answer")
    assert "sección Progreso" in draft.body
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    message = OutboundMessage.objects.get(recipient=student.email)
    assert "Fuentes: «¿Cómo descargo el certificado del curso?»" in message.text_body
    question.refresh_from_db()
    assert question.status == "answered"
    no_link = message.text_body.split("No: ")[1].split()[0].removeprefix("http://127.0.0.1:8000")
    assert "No, no me ayudó" in client.get(no_link).content.decode()
    assert Question.objects.get().helpful is None  # a GET (a mail scanner) records nothing
    client.post(no_link)
    assert Question.objects.get().helpful is False


def test_under_policy_auto_the_answer_goes_out_at_once(
    articles, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="faq_answer", mode="auto", user=staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        ask_question(text="¿Puedo cambiar mi plan?", email="nuevo@example.com", channel="api")

    assert Question.objects.get().status == "answered"
    assert OutboundMessage.objects.get().recipient == "nuevo@example.com"


def test_a_question_no_article_covers_is_handed_to_staff_with_a_ticket(
    articles, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question = ask_question(text="¿Hacéis factura con IVA para empresas?", email="a@b.com")

    question.refresh_from_db()
    assert question.status == "handed_over"
    ticket = Ticket.objects.get(kind="faq_handover")
    assert ticket.target == question
    assert "factura con IVA" in ticket.description
    assert not Draft.objects.exists()


def test_the_ais_handover_decision_wins_over_a_reply_that_sounds_like_an_answer(
    articles,
    fake_openai,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    fake_openai.reply(
        chat_completion(
            json.dumps(
                {
                    "decision": "handover",
                    "confidence": "medium",
                    "cited": str(articles[0].pk),
                    "reply_html": "<p>¡Claro! Aquí tienes la respuesta completa.</p>",
                }
            )
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        ask_question(text="¿El certificado del curso tiene validez oficial?", email="a@b.com")

    sent = fake_openai.requests[0]["body"]
    assert "Al completar todas las lecciones" in sent["messages"][-1]["content"]
    assert Question.objects.get().status == "handed_over"
    assert "Aquí tienes la respuesta completa" in Ticket.objects.get().description
    assert not Draft.objects.exists()


def test_the_api_takes_questions_and_lists_them(
    articles, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(
            "/api/v1/questions/", {"text": "¿Puedo cambiar de plan?", "email": "x@y.com"},
            format="json",
        )  # fmt: skip
    bad = api_client.post("/api/v1/questions/", {"text": "hola"}, format="json")
    listed = api_client.get("/api/v1/questions/?status=drafted")

    assert created.status_code == 201
    assert bad.status_code == 400  # no email, no student
    assert [row["id"] for row in listed.json()["results"]] == [created.json()["id"]]


def test_an_integration_states_the_language_to_answer_in(
    articles, api_client, make_student, django_capture_on_commit_callbacks
):
    student = make_student(email="ana@example.com")  # a Spanish-speaking student
    with django_capture_on_commit_callbacks(execute=True):
        stated = api_client.post(
            "/api/v1/questions/",
            {"text": "How do I download my certificate?", "email": "x@y.com", "language": "en"},
            format="json",
        )
        unstated = api_client.post(
            "/api/v1/questions/", {"text": "¿Y mi plan?", "student_id": student.pk}, format="json"
        )
    unknown = api_client.post(
        "/api/v1/questions/", {"text": "Hallo", "email": "x@y.com", "language": "xx"}, format="json"
    )

    assert (stated.status_code, stated.json()["language"]) == (201, "en")
    question = Question.objects.get(pk=stated.json()["id"])
    assert list(question.articles.all()) == [articles[2]]  # the English article was searched
    assert unstated.json()["language"] == "es"
    assert unknown.status_code == 400
    assert "language" in unknown.json()["errores"]


def test_an_answered_question_becomes_an_article_in_one_click(
    articles, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question = ask_question(text="¿Puedo cambiar de plan a mitad de mes?", email="x@y.com")
    draft = Draft.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, body="<p>Sí, desde el próximo pago.</p>")
    question.refresh_from_db()

    article = article_from_question(question=question, user=staff_user)

    assert (article.question, article.answer, article.source) == (
        "¿Puedo cambiar de plan a mitad de mes?",
        "Sí, desde el próximo pago.",
        "question",
    )


def test_an_email_to_the_help_address_becomes_a_question_once(
    articles, settings, django_capture_on_commit_callbacks
):
    from anymail.inbound import AnymailInboundMessage
    from anymail.signals import AnymailInboundEvent, inbound

    settings.HELP_INBOX_ADDRESS = "ayuda@example.com"
    message = AnymailInboundMessage.construct(
        from_email="Lucía <lucia@example.com>",
        to="Ayuda <ayuda@example.com>",
        subject="Certificado",
        text="¿Cómo descargo el certificado del curso?",
        headers={"Message-ID": "<abc@mail.example.com>"},
    )
    other = AnymailInboundMessage.construct(
        from_email="x@example.com", to="ventas@example.com", text="¿Cómo descargo el certificado?"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for msg in (message, message, other):  # the provider retried; one was not for us
            inbound.send(
                sender=None,
                event=AnymailInboundEvent(event_type="inbound", message=msg),
                esp_name="Postmark",
            )

    question = Question.objects.get()
    assert (question.channel, question.email, question.status, question.language) == (
        "email",
        "lucia@example.com",
        "drafted",
        "es",
    )
    assert question.text.startswith("Certificado\n\n¿Cómo descargo")


def test_an_email_in_english_is_answered_in_english(
    articles, settings, django_capture_on_commit_callbacks
):
    from anymail.inbound import AnymailInboundMessage
    from anymail.signals import AnymailInboundEvent, inbound

    settings.HELP_INBOX_ADDRESS = "ayuda@example.com"
    message = AnymailInboundMessage.construct(
        from_email="tom@example.com",
        to="ayuda@example.com",
        text="How do I download my certificate?",
        headers={"Message-ID": "<en@mail.example.com>", "Content-Language": "en-GB"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        inbound.send(
            sender=None,
            event=AnymailInboundEvent(event_type="inbound", message=message),
            esp_name="Postmark",
        )

    question = Question.objects.get()
    assert question.language == "en"
    assert list(question.articles.all()) == [articles[2]]
