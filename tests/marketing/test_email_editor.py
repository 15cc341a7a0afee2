"""Newsletters and sequence emails are written in Markdown and previewed as sent."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from courseops.reviews.sanitize import markdown_email_html
from marketing.admin.email_editor import StepForm, VariantForm
from marketing.models import Campaign, Sequence, Step, Variant

pytestmark = pytest.mark.django_db


def staff(django_user_model, *codenames):
    user = django_user_model.objects.create_user(username="mar", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_markdown_becomes_safe_email_html():
    html = markdown_email_html(
        "Hola {nombre},\n\n**Nuevo** [curso](https://ia.example.com)\n\n"
        "- uno\n- dos\n\n<script>alert(1)</script>[mal](javascript:alert(1))"
    )

    assert "<p>Hola {nombre},</p>" in html
    assert "<strong>Nuevo</strong>" in html
    assert 'href="https://ia.example.com"' in html
    assert "<li>uno</li>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html


def test_a_variant_saves_the_html_rendered_from_its_markdown():
    campaign = Campaign.objects.create(name="Diciembre")
    variant = Variant.objects.create(
        campaign=campaign, subject="Hola", body_html="<p>Escrito por la <b>IA</b></p>"
    )

    form = VariantForm(instance=variant)
    assert form["body_markdown"].value() == "<p>Escrito por la <b>IA</b></p>"

    form = VariantForm(
        data={"label": "A", "subject": "Hola", "body_markdown": "Hola {nombre}, **gracias**."},
        instance=variant,
    )
    assert form.is_valid(), form.errors
    form.save()
    variant.refresh_from_db()
    assert variant.body_markdown == "Hola {nombre}, **gracias**."
    assert variant.body_html == "<p>Hola {nombre}, <strong>gracias</strong>.</p>\n"


def test_an_sms_step_keeps_its_text_and_an_email_step_is_rendered():
    sequence = Sequence.objects.create(name="Bienvenida")
    data = {"position": 1, "wait_days": 0, "subject": "Hola", "body_markdown": "**Hola** {nombre}"}

    sms = StepForm(data={**data, "kind": "sms"}, instance=Step(sequence=sequence))
    email = StepForm(
        data={**data, "kind": "email", "position": 2}, instance=Step(sequence=sequence)
    )

    assert sms.is_valid(), sms.errors
    assert email.is_valid(), email.errors
    assert sms.save().body == "**Hola** {nombre}"
    assert email.save().body == "<p><strong>Hola</strong> {nombre}</p>\n"


def test_the_preview_is_the_email_as_sent_for_staff_who_may_edit(client, django_user_model):
    client.force_login(staff(django_user_model, "view_campaign", "change_campaign"))

    response = client.post(
        reverse("admin:marketing_campaign_email_preview"),
        {"markdown": "Hola {nombre}, **te esperamos**.", "subject": "Novedades", "preheader": "Ya"},
    )

    html = response.json()["html"]
    assert "Hola Ana, <strong>te esperamos</strong>.</p>" in html
    assert "Elegir qué recibo" in html  # the campaign template's footer
    assert "<title>Novedades</title>" in html


def test_the_preview_is_refused_without_the_edit_permission_and_to_get(client, django_user_model):
    client.force_login(staff(django_user_model, "view_campaign", "view_sequence"))

    for name in (
        "admin:marketing_campaign_email_preview",
        "admin:marketing_sequence_email_preview",
    ):
        assert client.post(reverse(name), {"markdown": "x"}).status_code == 403
    assert client.get(reverse("admin:marketing_campaign_email_preview")).status_code == 405
