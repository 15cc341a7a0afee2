"""Completion certificates: a PDF (WeasyPrint) with a code anyone can verify at its URL."""

import secrets

import weasyprint
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from courseops.audit.services import log_action
from engagement.models import Certificate


def verify_url(certificate):
    return settings.SITE_URL + reverse("engagement:certificate", kwargs={"code": certificate.code})


def issue_certificate(*, student):
    """The student's certificate for their plan, made once (then the same one)."""
    existing = Certificate.objects.filter(student=student, plan_id=student.plan_id).first()
    if existing is not None:
        return existing
    certificate = Certificate(
        student=student,
        plan_id=student.plan_id,
        code=secrets.token_hex(8),
        full_name=student.full_name,
        issued_at=timezone.now(),
    )
    with translation.override(student.language):
        html = render_to_string(
            "engagement/certificate.html",
            {"certificate": certificate, "plan": student.plan, "url": verify_url(certificate)},
        )
    pdf = weasyprint.HTML(string=html).write_pdf()
    try:
        with transaction.atomic():
            certificate.pdf.save(f"certificado-{certificate.code}.pdf", ContentFile(pdf))
            log_action(certificate, "engagement.certificate.issued")
    except IntegrityError:
        return Certificate.objects.get(student=student, plan_id=student.plan_id)
    return certificate


def certificate_for(student, progress):
    """The student's certificate: the one issued already, or issued now if `progress`
    (engagement's `progress_for`) shows every lesson of the plan done; else None."""
    existing = Certificate.objects.filter(student=student, plan_id=student.plan_id).first()
    if existing is not None:
        return existing
    if progress.lessons_total and progress.lessons_completed >= progress.lessons_total:
        return issue_certificate(student=student)
    return None
