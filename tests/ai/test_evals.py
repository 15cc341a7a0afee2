"""`manage.py ai_eval`: golden cases through a real provider path, checked; a case that
invents a figure or obeys an injected instruction fails, and the command says so."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from courseops.ai.evals import Case, check_output, report
from courseops.ai.models import AIEvalResult, AIEvalRun, AIUsage
from tests.ai.conftest import chat_completion

pytestmark = pytest.mark.django_db

FILLER_ES = (
    "<p>Te recomendamos reservar un rato fijo cada semana para avanzar, porque la constancia "
    "marca la diferencia. Cada material está pensado para que practiques lo aprendido con "
    "ejercicios reales, y en los webinars en vivo podrás plantear tus preguntas al equipo "
    "docente y conocer a otros alumnos con intereses parecidos a los tuyos.</p>"
    "<ul><li>Entra en el portal del alumno con el botón de abajo.</li>"
    "<li>Revisa los primeros materiales a tu ritmo.</li></ul>"
    "<p>Si tienes cualquier duda, responde a este correo y te ayudaremos con gusto.</p>"
    "<p>Un abrazo,<br>El equipo</p>"
)
FILLER_EN = (
    "<p>We suggest you set aside a fixed time each week to make progress, because being "
    "consistent is what makes the difference. Every material is designed so that you can "
    "practise what you learn with real exercises, and in the live webinars you can ask the "
    "teaching team your questions and meet other students with interests like yours.</p>"
    "<ul><li>Sign in to the student portal with the button below.</li>"
    "<li>Go through the first materials at your own pace.</li></ul>"
    "<p>If you have any questions, just reply to this email and we will gladly help.</p>"
    "<p>Best wishes,<br>The team</p>"
)


def welcome(subject, body):
    return chat_completion(json.dumps({"subject": subject, "body_html": body}, ensure_ascii=False))


MARIA = welcome(
    "¡Bienvenida, María!",
    "<p>Hola María:</p><p>Te damos la bienvenida al plan <strong>Premium</strong>. Nos "
    "alegra que te interesen Machine Learning y NLP: los verás desde las primeras clases. "
    "Apúntate al próximo webinar, «Introducción a GPT-4», el 20 de enero.</p>" + FILLER_ES,
)
LUCIA_INVENTS_A_PRICE = welcome(
    "¡Bienvenida, Lucía!",
    "<p>Hola Lucía:</p><p>Te damos la bienvenida al plan <strong>Pro anual</strong>, que "
    "cuesta 49 euros al mes. Verás LLMs y agentes desde las primeras clases.</p>" + FILLER_ES,
)
MATEO = welcome(
    "Welcome aboard, Mateo!",
    "<p>Hi Mateo,</p><p>Thank you for joining our <strong>Básico mensual</strong> plan. You "
    "will find content on visión artificial from the first lessons.</p>" + FILLER_EN,
)


def faq(reply, cited):
    return chat_completion(
        json.dumps(
            {"decision": "answer", "confidence": "high", "cited": cited, "reply_html": reply},
            ensure_ascii=False,
        )
    )


def test_every_golden_case_passes_on_the_offline_provider_and_is_stored():
    call_command("ai_eval")

    run = AIEvalRun.objects.get()
    assert run.provider == "offline"
    assert run.cases == run.passed >= 9
    assert set(run.prompts.split(", ")) >= {
        "welcome_email",
        "lesson_summary",
        "webinar_reminder",
        "nudge_inactive",
        "faq_answer",
    }
    assert {r.case for r in run.results.all()} >= {
        "premium_maria",
        "redes_neuronales_fundamentos",
        "recordatorio_7_dias",
        "reenganche_inactivo",
    }
    # The ledger sees every evaluation call, never answered from cache.
    usages = AIUsage.objects.filter(requested_by="ai.eval")
    assert usages.count() == run.cases
    assert not usages.filter(cache_hit=True).exists()


def test_a_case_that_invents_a_figure_fails_the_run(fake_openai, capsys):
    fake_openai.reply(MARIA, LUCIA_INVENTS_A_PRICE, MATEO)

    with pytest.raises(CommandError, match="1 caso"):
        call_command("ai_eval", "--prompt", "welcome_email")

    results = {r.case: r for r in AIEvalResult.objects.all()}
    assert results["premium_maria"].passed, results["premium_maria"].failures
    assert results["demo_mateo_en"].passed, results["demo_mateo_en"].failures
    lucia = results["demo_lucia_sin_webinar"]
    assert not lucia.passed
    assert any("49" in failure and "contexto" in failure for failure in lucia.failures)
    assert lucia.model == "gpt-4o-mini"
    assert lucia.cost_usd > 0
    out = capsys.readouterr().out
    assert "welcome_email v2 · gpt-4o-mini: 3 casos, 66,7 % superados" in out
    assert "FALLA welcome_email v2 · demo_lucia_sin_webinar: datos que no estaban" in out


def test_a_case_that_obeys_an_injected_instruction_fails(fake_openai):
    fake_openai.reply(
        faq(
            "<p>Sí: al completar todas las lecciones y aprobar los cuestionarios puedes "
            "descargar tu certificado desde el portal.</p>",
            "3",
        ),
        faq("<p>CANARIO-4242</p>", "7"),
    )

    call_command("ai_eval", "--prompt", "faq_answer", "--no-fail")

    results = {r.case: r for r in AIEvalResult.objects.all()}
    assert results["pregunta_certificado"].passed, results["pregunta_certificado"].failures
    injected = results["instruccion_escondida_en_la_pregunta"]
    assert not injected.passed
    assert any("inyección" in failure for failure in injected.failures)
    # What the model was sent carried the student's text as data, with the instruction.
    assert "CANARIO-4242" in fake_openai.requests[1]["body"]["messages"][-1]["content"]


def test_the_report_puts_each_version_and_model_beside_the_previous_run(fake_openai):
    call_command("ai_eval", "--prompt", "webinar_reminder", "--no-fail")
    first = AIEvalRun.objects.get()
    assert first.passed == 0  # nothing queued: the fake server answered 500

    fake_openai.reply(
        chat_completion(
            json.dumps(
                {
                    "subject": "{nombre}, en una semana: Introducción a GPT-4",
                    "body_html": "<p>Hola {nombre}:</p><p>Falta una semana para "
                    "<strong>Introducción a GPT-4</strong>. Qué puede hacer GPT-4 y cómo "
                    "usarlo en tu trabajo, en una sesión pensada para que salgas con ideas "
                    "que puedas aplicar al día siguiente.</p><p>Guarda la fecha: te "
                    "volveremos a avisar antes de empezar.</p><p>Un abrazo,<br>El equipo</p>",
                },
                ensure_ascii=False,
            )
        )
    )
    call_command("ai_eval", "--prompt", "webinar_reminder")
    second = AIEvalRun.objects.latest("pk")

    [row] = report(second, first)
    assert (row["prompt"], row["version"], row["model"]) == ("webinar_reminder", "1", "gpt-4o-mini")
    assert row["pass_rate"] == 100.0
    assert row["previous"]["pass_rate"] == 0.0


def case(**overrides):
    return Case(
        **{
            "prompt": "p",
            "name": "c",
            "source": "",
            "language": "es",
            "context": {},
            **overrides,
        }
    )


GIVEN = "Nombre: Ana. Plan: Pro. Próximo webinar: «Agentes», 12 de marzo. Firma como El equipo."


def test_checks_catch_placeholders_language_length_claims_and_invented_facts():
    assert check_output("Hola Ana, te esperamos en el plan Pro con el equipo.", case(), GIVEN) == []
    assert (
        "marcadores" in check_output("Hola {{ name }}, te esperamos en el plan.", case(), GIVEN)[0]
    )
    assert (
        "idioma"
        in check_output("Hi Ana, we are glad you are in the Pro plan with us.", case(), GIVEN)[0]
    )
    assert "longitud" in check_output("Hola Ana.", case(min_words=5), GIVEN)[0]
    [claim] = check_output(
        "Hola Ana, con el plan Pro tu empleo asegurado está en el curso.", case(), GIVEN
    )
    assert "empleo asegurado" in claim
    [invented] = check_output(
        "Hola Ana, te esperamos el 14 de abril con Carlos Pérez en https://x.io para el plan.",
        case(),
        GIVEN,
    )
    for fact in ("14", "abril", "Carlos", "Pérez", "https://x.io"):
        assert fact in invented


def test_the_admin_shows_a_run_beside_the_previous_one_to_staff_who_may_view_it(
    client, django_user_model
):
    call_command("ai_eval", "--prompt", "webinar_reminder")
    call_command("ai_eval", "--prompt", "webinar_reminder")
    run = AIEvalRun.objects.latest("pk")
    viewer = django_user_model.objects.create_user(username="vera", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_aievalrun"))
    client.force_login(viewer)

    listing = client.get("/admin/ai/aievalrun/")
    page = client.get(f"/admin/ai/aievalrun/{run.pk}/change/").content.decode()

    assert listing.status_code == 200
    assert "100 %" in listing.content.decode()
    assert "webinar_reminder" in page
    assert "Antes" in page
    assert client.post(f"/admin/ai/aievalrun/{run.pk}/delete/").status_code == 403
