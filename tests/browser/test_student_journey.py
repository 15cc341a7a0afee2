"""Issue #21's "done when", as one Chromium journey on the production-like site: a new
student signs up on /registro/ for a paid plan, pays (Stripe faked at the HTTP seam: its
API by a local server, its webhook posted signed as Stripe would, the payloads from
Stripe's own fixtures), signs in from the emailed link, watches part of a lesson (the
position resumes after a reload, progress is recorded), takes the quiz and sees which
answers were wrong, turns on notifications and gets the 2-hour webinar reminder pushed
to this browser (a local push service), finishes the course and downloads the
certificate; axe-core finds no
serious or critical violation on any portal page at 1280 and 375 px, and a phone shows
every section of the menu."""

import copy
import json
import re
import time
from datetime import timedelta

import pytest
import stripe
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader

from content.demo import demo_video
from content.models import Course, Lesson, LessonProgress
from courseops.messaging.models import OutboundMessage
from engagement.services.curriculum import refresh_curricula
from students.models import Plan, Student
from tests.browser.accessibility import WIDTHS, check_widths
from tests.browser.conftest import assert_production_headers, stripe_checkout_page
from tests.browser.push import chromium_for_push, opt_in_to_push, show_in_browser
from tests.fixtures.vendors import load
from webinars.services import registration_create, scan_due_reminders
from webinars.services.webinars import webinar_create, webinar_schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

chromium = chromium_for_push()  # a service worker from the live server's own certificate

WEBHOOK_SECRET = "whsec_journey"
EMAIL = "nueva.alumna@example.com"
# The objects of Stripe's fixtures (tests/fixtures/vendors/stripe, from stripe/openapi's
# fixtures3.json) tie together through these ids and this price.
SESSION = load("stripe", "checkout.session.completed")
SUBSCRIPTION = load("stripe", "customer.subscription.created")["data"]["object"]
PRICE = SUBSCRIPTION["items"]["data"][0]["price"]["id"]
NEXT_PERIOD_END = 1_798_761_600  # 2027-01-01: the fixture's period ended in 2000

QUIZ = {
    "questions": [
        {
            "question": "¿Qué es un embedding?",
            "options": [
                {"text": "Un vector de números", "correct": True},
                {"text": "Una base de datos", "correct": False},
            ],
            "explanation": "Un embedding representa un texto como un vector de números.",
        },
        {
            "question": "¿Qué indica que dos vectores estén cerca?",
            "options": [
                {"text": "Que sus textos se parecen", "correct": True},
                {"text": "Que se escribieron el mismo día", "correct": False},
            ],
            "explanation": "La cercanía mide el parecido de significado.",
        },
    ]
}


@pytest.fixture
def lesson(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    plan = Plan.objects.create(
        slug="premium", name="Premium", price=79, stripe_price_id=PRICE, requires_payment=True
    )
    Plan.objects.create(slug="comunidad", name="Comunidad", price=0, sort_order=1)
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    course.plans.add(plan)
    lesson = Lesson.objects.create(
        course=course,
        order=1,
        title="Embeddings",
        transcript=[
            {"start": 0.0, "end": 9.9, "text": "Hoy vemos qué es un embedding."},
            {"start": 10.0, "end": 19.9, "text": "Vectores cercanos, significados parecidos."},
        ],
        materials={
            "summary": "Qué es un embedding y para qué sirve.",
            "key_points": [{"seconds": 6, "point": "Un embedding es un vector"}],
        },
        quiz=QUIZ,
        published_at=timezone.now(),
    )
    lesson.video.save("embeddings.webm", ContentFile(demo_video(20)))
    refresh_curricula()  # the plan's lesson count, as the periodic task keeps it
    return lesson


def post_stripe_event(page, payload):
    """POST the event to our webhook door as Stripe does: its signature header over the
    raw body (the SDK's own signing), from outside the browser's pages."""
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(
        body, WEBHOOK_SECRET, timestamp=int(time.time())
    )
    response = page.request.post(
        "/webhooks/stripe/",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
    assert response.status == 200, response.text()


def stripe_completes_the_checkout(page, fake_stripe):
    """What Stripe does after the card is accepted: the subscription exists in its API,
    and checkout.session.completed arrives for the buyer's email."""
    subscription = copy.deepcopy(SUBSCRIPTION)
    subscription["items"]["data"][0]["current_period_end"] = NEXT_PERIOD_END
    subscription["cancel_at_period_end"] = False  # a new subscription; the fixture's is ending
    fake_stripe.subscriptions[subscription["id"]] = subscription
    completed = copy.deepcopy(SESSION)
    completed["data"]["object"]["customer_details"].update(email=EMAIL, name="Nora Campos")
    post_stripe_event(page, completed)


def push_step(page, student, push_service):
    """Turns on notifications from the portal, and the 2-hour reminder of a webinar of the
    student's plan reaches the (local) push service encrypted for this browser, whose
    service worker shows it (what is real here: tests/browser/push.py)."""
    now = timezone.now().replace(microsecond=0)
    webinar = webinar_schedule(
        webinar=webinar_create(
            title="Agentes de IA en vivo",
            starts_at=now + timedelta(hours=2, minutes=1),
            time_zone=student.time_zone or "America/Mexico_City",
            plans=[student.plan],
        )
    )
    registration_create(webinar=webinar, student=student, source="admin")
    browser = opt_in_to_push(page, push_service)
    with time_machine.travel(now + timedelta(minutes=2), tick=True):
        scan_due_reminders()
    [request] = push_service.pushes(browser)
    notice = push_service.notice(request, browser)  # aes128gcm, our VAPID signature
    assert notice["title"] == "Agentes de IA en vivo"
    shown = show_in_browser(page, browser.decrypt(request.get_data()).decode())
    assert [n["title"] for n in shown] == ["Agentes de IA en vivo"]
    page.goto(f"/portal/lecciones/{Lesson.objects.get().pk}/")


def portal_pages(lesson):
    return {
        "home": "/portal/",
        "outline": "/portal/lecciones/",
        "lesson": f"/portal/lecciones/{lesson.pk}/",
        "webinars": "/portal/webinars/",
        "progress": "/portal/progreso/",
        "assignments": "/portal/tareas/",
        "questions": "/portal/preguntas/",
        "subscription": "/portal/suscripcion/",
        "certificate": "/portal/certificado/",
    }


def every_section_fits_on_a_phone(page):
    """At 375 px each menu entry is inside the screen (none cut off at the edge)."""
    page.set_viewport_size(WIDTHS["phone"])
    links = page.get_by_role("navigation", name="Secciones del portal").get_by_role("link")
    boxes = [links.nth(n).bounding_box() for n in range(links.count())]
    return links.count() >= 7 and all(
        b and b["x"] >= 0 and b["x"] + b["width"] <= 375 for b in boxes
    )


def test_a_new_student_signs_up_pays_learns_passes_and_downloads_the_certificate(
    page, lesson, fake_stripe, settings, production_site, tmp_path, push_service
):
    settings.STRIPE_CHECKOUT_SUCCESS_URL = f"{production_site.url}/registro/gracias/"
    settings.STRIPE_CHECKOUT_CANCEL_URL = f"{production_site.url}/registro/?pago=cancelado"
    stripe_checkout_page(page)
    found = {}

    # Sign-up: the plans with their prices; the paid one opens Stripe Checkout.
    shown = page.goto("/registro/")
    assert_production_headers(shown)
    assert "79,00 USD" in page.locator("main").inner_text()
    page.get_by_role("button", name="Pagar el plan Premium").click()
    page.wait_for_url("https://checkout.stripe.com/**")
    [(params, _headers)] = fake_stripe.requests("/v1/checkout/sessions")
    assert params["line_items[0][price]"] == PRICE
    assert params["success_url"] == settings.STRIPE_CHECKOUT_SUCCESS_URL

    # Paid: Stripe sends the webhook, then the buyer back to the success page.
    stripe_completes_the_checkout(page, fake_stripe)
    page.goto(params["success_url"])
    assert "recibirás un correo con tu enlace" in page.locator("main").inner_text()

    # Signs in from the emailed link; the confirmation page shows no signed-in menu.
    student = Student.objects.get(email=EMAIL)
    assert (student.plan.slug, student.full_name) == ("premium", "Nora Campos")
    message = OutboundMessage.objects.get(recipient=EMAIL, template="students/sign_in")
    link = re.search(r"https://\S+/portal/acceso/\S+/", message.text_body).group(0)
    page.goto(link)
    assert page.get_by_role("navigation", name="Secciones del portal").count() == 0
    assert page.get_by_role("button", name="Salir").count() == 0
    found["sign-in-confirmation"] = check_widths(page, tmp_path, "sign-in-confirmation")
    page.set_viewport_size(WIDTHS["laptop"])
    page.get_by_role("button", name="Entrar al portal").click()
    page.wait_for_url("**/portal/")
    assert page.get_by_role("heading", name="Hola, Nora").is_visible()

    # Watches part of the lesson; the position and the share seen are recorded.
    page.goto(f"/portal/lecciones/{lesson.pk}/")
    page.wait_for_function("() => document.getElementById('player-video').readyState >= 1")
    page.get_by_role("button", name="Ir a 00:06").first.click()
    page.wait_for_function("() => document.getElementById('player-video').currentTime >= 12")
    with page.expect_response(re.compile(r"/reproduccion/$")) as reported:
        page.evaluate("document.getElementById('player-video').pause()")
    assert reported.value.status == 204
    progress = LessonProgress.objects.get(lesson=lesson, student=student)
    assert progress.position_seconds >= 12
    assert progress.watched_percent >= 25
    page.reload()
    page.locator("#resume-note").wait_for()
    assert f"00:{progress.position_seconds:02d}" in page.locator("#resume-note").inner_text()
    current = page.evaluate("document.getElementById('player-video').currentTime")
    assert current == pytest.approx(progress.position_seconds, abs=1)

    # The quiz: one answer wrong, and the review says which and why.
    page.get_by_label("Un vector de números").check()
    page.get_by_label("Que se escribieron el mismo día").check()
    page.get_by_role("button", name="Enviar respuestas").click()
    page.wait_for_url(f"**/portal/lecciones/{lesson.pk}/#resultado")
    review = page.locator("#resultado").inner_text()
    assert "Tu último intento: 1 de 2." in review
    assert review.count("✓ Correcta") == 1
    assert review.count("✗ Incorrecta") == 1
    assert "La respuesta correcta es: Que sus textos se parecen" in review
    assert "La cercanía mide el parecido de significado." in review
    found["quiz-review"] = check_widths(page, tmp_path, "quiz-review")

    push_step(page, student, push_service)

    # Passes on retry, which finishes the course; the certificate downloads.
    page.set_viewport_size(WIDTHS["laptop"])
    page.get_by_label("Un vector de números").check()
    page.get_by_label("Que sus textos se parecen").check()
    page.get_by_role("button", name="Enviar respuestas").click()
    page.wait_for_url(f"**/portal/lecciones/{lesson.pk}/#resultado")
    assert "¡Aprobado!" in page.locator("#resultado").inner_text()
    page.goto("/portal/progreso/")
    page.get_by_role("link", name="Tu certificado").click()
    page.wait_for_url("**/portal/certificado/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar el certificado (PDF)").click()
    saved = tmp_path / "certificado.pdf"
    download.value.save_as(saved)
    assert "Nora Campos" in PdfReader(saved).pages[0].extract_text()

    # Every portal page, at both widths; the phone shows every section of the menu.
    for name, path in portal_pages(lesson).items():
        page.set_viewport_size(WIDTHS["laptop"])
        response = page.goto(path)
        assert response.status == 200, path
        found[name] = check_widths(page, tmp_path, name)
    page.goto("/portal/suscripcion/")
    mine = page.locator("main").inner_text()
    assert "Premium · 79,00 USD" in mine
    assert "Activa" in mine
    assert "Próximo cobro" in mine
    assert every_section_fits_on_a_phone(page)
    assert found == {name: {"laptop": [], "phone": []} for name in found}
