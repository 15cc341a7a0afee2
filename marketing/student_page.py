"""The student page's consents: for each purpose, granted, pending or withdrawn, and
the SMS consent kept on the student."""

from django.utils.translation import gettext as _

from marketing.models import Consent
from students.student_page import Section, register_section, when


def _consents(student):
    consents = Consent.objects.filter(lead__student=student).order_by("-requested_at")
    rows = [
        [
            c.get_purpose_display(),
            c.get_status_display(),
            c.source,
            when(c.granted_at),
            when(c.withdrawn_at),
        ]
        for c in consents
    ]
    return Section(
        title=_("Consentimientos"),
        facts=[
            (
                _("Datos personales"),
                _("Sí, el %(when)s") % {"when": when(student.consent_at)}
                if student.consent_given
                else _("No"),
            ),
            (
                _("SMS"),
                _("Sí, desde el %(when)s") % {"when": when(student.sms_consent_at)}
                if student.sms_consent_at
                else _("No"),
            ),
        ],
        headers=[_("Finalidad"), _("Estado"), _("Dónde"), _("Concedido"), _("Retirado")],
        rows=rows,
        empty=_("Sin consentimientos de marketing."),
    )


def register():
    register_section(90, _consents)
